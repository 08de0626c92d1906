#include "client.h"

#include <cstdio>
#include <string>

namespace samsa::cli {

void HandleDeleter::operator()(rd_kafka_t* rk) const {
  if (rk) rd_kafka_destroy(rk);
}

namespace {

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

void verbose_log(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  std::fprintf(stderr, "samsactl: librdkafka %d %s: %s\n", level, fac, buf);
}

void set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw CliError(kUsage, "", "invalid client property " + k + "=" + v + ": " + errstr);
  }
}

}  // namespace

rd_kafka_conf_t* make_conf(const Connection& c, const std::vector<std::pair<std::string, std::string>>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", c.brokers);
  set(conf, "client.id", "samsactl");
  set(conf, "socket.connection.setup.timeout.ms", std::to_string(c.timeout_ms));
  for (const auto& [k, v] : extra) set(conf, k, v);
  for (const auto& [k, v] : c.properties) set(conf, k, v);
  rd_kafka_conf_set_log_cb(conf, c.verbose ? verbose_log : quiet_log);
  return conf;
}

Handle make_handle(const Connection&, rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw CliError(kUsage, "", std::string("cannot create Kafka client: ") + errstr);
  }
  return Handle(rk);
}

Handle connect_admin(const Connection& c) {
  Handle h = make_handle(c, RD_KAFKA_PRODUCER, make_conf(c));
  fetch_metadata(h.get(), c, false);  // reachability check with a clear message
  return h;
}

Metadata fetch_metadata(rd_kafka_t* rk, const Connection& c, bool all_topics) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, all_topics ? 1 : 0, nullptr, &md, c.timeout_ms);
  if (err) {
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
        err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
      throw CliError(kUnreachable, rd_kafka_err2name(err),
                     "no broker at " + c.brokers + " answered within " + std::to_string(c.timeout_ms / 1000.0).substr(0, 4) +
                         " s (" + rd_kafka_err2name(err) + ": " + rd_kafka_err2str(err) +
                         "); check -b/--brokers or SAMSA_BROKERS and that the broker is running");
    fail(err, "metadata request failed");
  }
  return Metadata(md);
}

const rd_kafka_metadata_topic_t& find_topic(const rd_kafka_metadata_t& md, const std::string& name) {
  for (int i = 0; i < md.topic_cnt; ++i) {
    const auto& t = md.topics[i];
    if (name == t.topic) {
      if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) break;
      if (t.err) fail(t.err, "topic '" + name + "'");
      return t;
    }
  }
  throw CliError(kNotFound, "UNKNOWN_TOPIC_OR_PART",
                 "topic '" + name + "' does not exist (UNKNOWN_TOPIC_OR_PART); list topics with `samsactl topic list` "
                 "or create it with `samsactl topic create " + name + "`");
}

Event admin_wait(rd_kafka_t* rk, const Connection& c, bool validate_only,
                 void (*issue)(rd_kafka_t*, rd_kafka_AdminOptions_t*, rd_kafka_queue_t*, void*), void* ctx) {
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> opts(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY));
  char errstr[512];
  rd_kafka_AdminOptions_set_request_timeout(opts.get(), c.timeout_ms, errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout(opts.get(), c.timeout_ms, errstr, sizeof errstr);
  if (validate_only) rd_kafka_AdminOptions_set_validate_only(opts.get(), 1, errstr, sizeof errstr);
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> q(rd_kafka_queue_new(rk));
  issue(rk, opts.get(), q.get(), ctx);
  Event ev(rd_kafka_queue_poll(q.get(), c.timeout_ms + 2000));
  if (!ev)
    throw CliError(kUnreachable, "_TIMED_OUT",
                   "the broker did not answer within the timeout; check the broker or raise --timeout");
  if (rd_kafka_event_error(ev.get()))
    fail(rd_kafka_event_error(ev.get()), "request failed", rd_kafka_event_error_string(ev.get()));
  return ev;
}

int exit_code_for(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return kNotFound;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return kUnreachable;
    default:
      return kError;
  }
}

std::string hint_for(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return "check the name with `samsactl topic list`";
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return "pick another name, or inspect it with `samsactl topic describe`";
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
      return "the partition count must be at least 1 (and larger than the current count when adding)";
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      return "the replication factor cannot exceed the number of brokers (see `samsactl cluster info`)";
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
      return "check the config key and value against docs/configuration";
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return "check the name with `samsactl group list`";
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      return "the group has active members; stop its consumers first";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return "the principal lacks the ACL; pass credentials with -X sasl.username=... or ask an operator";
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return "check -b/--brokers or SAMSA_BROKERS and that the broker is running, or raise --timeout";
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return "the broker does not support this request";
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return "the record exceeds max.message.bytes; raise it with `samsactl topic alter-config`";
    default:
      return "";
  }
}

void fail(rd_kafka_resp_err_t err, const std::string& what, const std::string& detail) {
  std::string msg = what + ": " + rd_kafka_err2name(err) + " (" + (detail.empty() ? rd_kafka_err2str(err) : detail) + ")";
  std::string hint = hint_for(err);
  if (!hint.empty()) msg += "; " + hint;
  throw CliError(exit_code_for(err), rd_kafka_err2name(err), msg);
}

}  // namespace samsa::cli
