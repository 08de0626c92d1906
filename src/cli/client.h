// samsactl's thin RAII layer over the librdkafka C API: connection settings, handles, admin calls with a deadline,
// and translation of librdkafka errors into CliError with a hint on what to do.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "samsa/cli/output.h"

namespace samsa::cli {

struct Connection {
  std::string brokers = "127.0.0.1:9092";
  std::vector<std::pair<std::string, std::string>> properties;  // -X key=value
  int timeout_ms = 8000;
  bool verbose = false;
};

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// A configuration with the connection settings applied; `extra` is applied before -X so users can override.
rd_kafka_conf_t* make_conf(const Connection& c, const std::vector<std::pair<std::string, std::string>>& extra = {});
Handle make_handle(const Connection& c, rd_kafka_type_t type, rd_kafka_conf_t* conf);

// A producer handle used for metadata and admin requests; fails with kUnreachable when no broker answers.
Handle connect_admin(const Connection& c);

// Cluster metadata (all topics when `all_topics`), bounded by the connection timeout.
Metadata fetch_metadata(rd_kafka_t* rk, const Connection& c, bool all_topics);

// Finds a topic in metadata or throws kNotFound with a hint.
const rd_kafka_metadata_topic_t& find_topic(const rd_kafka_metadata_t& md, const std::string& name);

// Runs one admin request: `issue(options, queue)` must start it; waits for the result event or the deadline.
template <typename F>
Event admin_call(rd_kafka_t* rk, const Connection& c, bool validate_only, F&& issue);

Event admin_wait(rd_kafka_t* rk, const Connection& c, bool validate_only,
                 void (*issue)(rd_kafka_t*, rd_kafka_AdminOptions_t*, rd_kafka_queue_t*, void*), void* ctx);

template <typename F>
Event admin_call(rd_kafka_t* rk, const Connection& c, bool validate_only, F&& issue) {
  auto tramp = [](rd_kafka_t* h, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q, void* ctx) {
    (*static_cast<std::remove_reference_t<F>*>(ctx))(h, o, q);
  };
  return admin_wait(rk, c, validate_only, tramp, &issue);
}

// Error helpers: a CliError naming the Kafka error, with an exit code chosen from the error and a hint.
[[noreturn]] void fail(rd_kafka_resp_err_t err, const std::string& what, const std::string& detail = "");
int exit_code_for(rd_kafka_resp_err_t err);
std::string hint_for(rd_kafka_resp_err_t err);

}  // namespace samsa::cli
