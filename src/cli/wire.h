// A tiny blocking Kafka client on Samsa's own codec, for the requests librdkafka does not expose (DescribeQuorum).
// One PLAINTEXT connection to the first bootstrap broker that answers; ApiVersions first, then request/response.
// It is the broker's own outbound client (samsa::client::connection: deadlines, correlation ids, a response-size
// bound before allocation) run on a private io_context until each call completes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "client.h"
#include "samsa/base/ids.h"
#include "samsa/protocol/header.h"

namespace samsa::cli {

class WireClient {
 public:
  // Connects within the connection timeout (kUnreachable otherwise) and asks for the broker's ApiVersions.
  explicit WireClient(const Connection& c);
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  const std::string& address() const { return address_; }
  // The broker's [min, max] versions of an API, or nullopt when it does not advertise the key.
  std::optional<std::pair<int16_t, int16_t>> versions(int16_t api_key) const;
  // The highest version both sides speak, or nullopt.
  template <typename Request>
  std::optional<int16_t> pick_version() const {
    auto v = versions(Request::api_key);
    if (!v) return std::nullopt;
    int16_t hi = std::min<int16_t>(v->second, Request::max_version);
    int16_t lo = std::max<int16_t>(v->first, Request::min_version);
    if (hi < lo) return std::nullopt;
    return hi;
  }

  template <typename Response, typename Request>
  Response call(const Request& req, int16_t version) {
    protocol::request_header h;
    h.api_key = Request::api_key;
    h.api_version = version;
    h.correlation_id = ++correlation_;
    h.client_id = "samsactl";
    std::vector<uint8_t> body = roundtrip(protocol::encode_request_frame(h, req), h.correlation_id, Request::api_key,
                                          version);
    auto r = protocol::decode_message<Response>(body, version);
    if (!r) throw CliError(kError, "", "cannot decode the " + std::string(Request::api_name) + " response from " + address_);
    return std::move(*r);
  }

 private:
  std::vector<uint8_t> roundtrip(std::vector<uint8_t> frame, int32_t correlation_id, int16_t api_key,
                                 int16_t version);

  struct io;
  const Connection& conn_;
  std::unique_ptr<io> io_;
  std::string address_;
  int32_t correlation_ = 0;
  std::map<int16_t, std::pair<int16_t, int16_t>> versions_;
};

// Kafka error code -> name (librdkafka's names, which are Kafka's).
std::string kafka_error_name(int16_t code);

}  // namespace samsa::cli

namespace samsa {
// Ids and epochs of the generated messages go into JSON output as their numbers (found by ADL).
template <typename Tag, typename Rep>
void to_json(nlohmann::json& j, strong_id<Tag, Rep> id) {
  j = id.value();
}
}  // namespace samsa
