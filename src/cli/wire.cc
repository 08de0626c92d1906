#include "wire.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include "samsa/client/connection.h"

#include "samsa/protocol/messages/api_versions.h"

namespace samsa::cli {
namespace {

std::vector<std::pair<std::string, std::string>> split_brokers(const std::string& list) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string b = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? list.size() + 1 : comma + 1;
    b.erase(0, b.find_first_not_of(" \t"));
    b.erase(b.find_last_not_of(" \t") + 1);
    if (auto scheme = b.find("://"); scheme != std::string::npos) b = b.substr(scheme + 3);
    if (b.empty()) continue;
    std::string host = b, port = "9092";
    if (b[0] == '[') {  // [v6]:port
      auto close = b.find(']');
      host = b.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      if (close != std::string::npos && close + 1 < b.size() && b[close + 1] == ':') port = b.substr(close + 2);
    } else if (auto colon = b.rfind(':'); colon != std::string::npos) {
      host = b.substr(0, colon);
      port = b.substr(colon + 1);
    }
    out.emplace_back(host, port);
  }
  return out;
}

}  // namespace

std::string kafka_error_name(int16_t code) { return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)); }

// The io_context the client's calls run on, and the connection.
struct WireClient::io {
  boost::asio::io_context ctx{1};
  std::unique_ptr<client::connection> conn;

  // Runs `work` to completion on ctx.
  template <typename T>
  T run(boost::asio::awaitable<T> work) {
    std::optional<T> out;
    auto task = [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(work)); };
    boost::asio::co_spawn(ctx, task, [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ctx.restart();
    ctx.run();
    return std::move(*out);
  }
};

WireClient::WireClient(const Connection& c) : conn_(c), io_(std::make_unique<io>()) {
  for (const auto& [k, v] : c.properties) {
    if (k == "security.protocol") {
      std::string p = v;
      std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (p != "plaintext")
        throw CliError(kUsage, "", "this command speaks PLAINTEXT only (security.protocol=" + v +
                                       "); run it against a PLAINTEXT listener");
    }
  }
  client::options o;
  o.client_id = "samsactl";
  o.connect_timeout = std::chrono::milliseconds(c.timeout_ms);
  o.max_response_bytes = protocol::default_socket_request_max_bytes;
  std::string errors;
  for (const auto& [host, port] : split_brokers(c.brokers)) {
    io_->conn = std::make_unique<client::connection>(io_->ctx.get_executor(), o);
    uint16_t p = 0;
    try {
      p = static_cast<uint16_t>(std::stoi(port));
    } catch (const std::exception&) {
      if (!errors.empty()) errors += "; ";
      errors += host + ":" + port + ": bad port";
      continue;
    }
    const std::error_code ec = io_->run(io_->conn->connect(host, p));
    if (!ec) {
      address_ = host + ":" + port;
      break;
    }
    if (!errors.empty()) errors += "; ";
    errors += host + ":" + port + ": " + ec.message();
  }
  if (address_.empty())
    throw CliError(kUnreachable, "_TRANSPORT",
                   "no broker at " + c.brokers + " answered within " + std::to_string(c.timeout_ms / 1000.0).substr(0, 4) +
                       " s (_TRANSPORT: " + errors + "); check -b/--brokers or SAMSA_BROKERS and that the broker is running");
  // ApiVersions v0: understood by every broker, and its response header is always v0.
  auto av = call<protocol::ApiVersionsResponse>(protocol::ApiVersionsRequest{}, 0);
  if (const int16_t code = protocol::wire_code(av.error_code))
    throw CliError(kError, kafka_error_name(code), "ApiVersions to " + address_ + " failed: " + kafka_error_name(code));
  for (const auto& k : av.api_keys) versions_[k.api_key] = {k.min_version, k.max_version};
}

WireClient::~WireClient() = default;

std::optional<std::pair<int16_t, int16_t>> WireClient::versions(int16_t api_key) const {
  auto it = versions_.find(api_key);
  if (it == versions_.end()) return std::nullopt;
  return it->second;
}

std::vector<uint8_t> WireClient::roundtrip(std::vector<uint8_t> frame, int32_t correlation_id, int16_t api_key,
                                           int16_t version) {
  auto r = io_->run(io_->conn->round_trip(std::move(frame), correlation_id, std::chrono::milliseconds(conn_.timeout_ms)));
  if (!r) {
    const auto ec = r.error();
    if (ec == client::errc::timed_out)
      throw CliError(kUnreachable, "_TIMED_OUT",
                     "the broker at " + address_ + " did not answer within the timeout; check the broker or raise --timeout");
    if (ec == client::errc::response_too_large)
      throw CliError(kError, "", "response frame from " + address_ + " larger than allowed");
    if (ec == client::errc::bad_response)
      throw CliError(kError, "", "response correlation id from " + address_ + " does not match the request's");
    throw CliError(kUnreachable, "_TRANSPORT",
                   "the broker at " + address_ + " closed the connection (it may not support this request)");
  }
  auto body = protocol::response_body(std::span<const uint8_t>(**r).subspan(4),
                                      protocol::response_header_version(api_key, version));
  if (!body) throw CliError(kError, "", "truncated response header from " + address_);
  return std::vector<uint8_t>(body->begin(), body->end());
}

}  // namespace samsa::cli
