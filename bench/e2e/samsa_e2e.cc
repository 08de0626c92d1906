// samsa_e2e: end-to-end produce/consume benchmark on librdkafka's C API (works against any Kafka-compatible broker).
//
//   samsa_e2e produce --brokers 127.0.0.1:9092 --topic t --size 1024 --count 1000000 --acks 1 --partitions 16
//                     --producers 2 --linger-ms 5 --batch-size 1048576 --compression none [--idempotence]
//   samsa_e2e consume --brokers 127.0.0.1:9092 --topic t [--count N]   (from offset 0; default: up to the high watermarks)
//
// produce: each producer is a thread with its own rd_kafka_t; the payload is one preallocated buffer (not copied),
// the send time travels in the message opaque and each thread records delivery latency (produce() call to delivery
// report) in its own log-linear histogram, so the hot path allocates nothing of ours. Throughput is delivered messages
// over the time from the first produce() to the last delivery report. The topic is created (admin API) if missing.
// consume: one consumer assigned every partition at offset 0; counts messages until --count, timed from the first
// message received.
// --max-outstanding 1 with --linger-ms 0 --max-in-flight 1 sends one message at a time (request latency).
//
// Output: one JSON line on stdout per run, and a human-readable line on stderr.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "histogram.h"

namespace {

using samsa::bench::log_linear_histogram;
using clk = std::chrono::steady_clock;

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now().time_since_epoch()).count());
}

struct options {
  std::string mode;
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "samsa-e2e";
  size_t size = 1024;
  int64_t count = -1;       // messages (total over producers); -1: use duration (produce) or high watermarks (consume)
  double duration = 0;      // seconds, produce only
  std::string acks = "1";
  int partitions = 1;
  int replication_factor = -1;  // -1: the broker's default.replication.factor
  int min_insync_replicas = 0;  // 0: the broker's default
  int producers = 1;
  std::string linger_ms = "5";
  std::string batch_size = "1048576";
  std::string compression = "none";
  bool idempotence = false;
  std::string max_in_flight = "5";
  int64_t max_outstanding = 0;  // >0: a producer waits for deliveries while this many of its messages are undelivered
  std::string label;
  std::vector<std::pair<std::string, std::string>> extra;  // --set key=value, passed to librdkafka
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: samsa_e2e produce|consume [--brokers H:P] [--topic T] [--size BYTES] [--count N | --duration S]\n"
               "       [--acks 0|1|all] [--partitions N] [--replication-factor N] [--min-insync-replicas N] [--producers N] [--linger-ms MS] [--batch-size BYTES]\n"
               "       [--compression none|gzip|snappy|lz4|zstd] [--idempotence] [--max-in-flight N] [--max-outstanding N]\n"
               "       [--label L]"
               "       [--set librdkafka.key=value]...\n",
               why);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  if (argc < 2) usage("missing mode");
  o.mode = argv[1];
  if (o.mode != "produce" && o.mode != "consume") usage("mode must be produce or consume");
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--brokers") o.brokers = val();
    else if (a == "--topic") o.topic = val();
    else if (a == "--size") o.size = std::stoull(val());
    else if (a == "--count") o.count = std::stoll(val());
    else if (a == "--duration") o.duration = std::stod(val());
    else if (a == "--acks") o.acks = val();
    else if (a == "--partitions") o.partitions = std::stoi(val());
    else if (a == "--replication-factor") o.replication_factor = std::stoi(val());
    else if (a == "--min-insync-replicas") o.min_insync_replicas = std::stoi(val());
    else if (a == "--producers") o.producers = std::stoi(val());
    else if (a == "--linger-ms") o.linger_ms = val();
    else if (a == "--batch-size") o.batch_size = val();
    else if (a == "--compression") o.compression = val();
    else if (a == "--idempotence") o.idempotence = true;
    else if (a == "--max-in-flight") o.max_in_flight = val();
    else if (a == "--max-outstanding") o.max_outstanding = std::stoll(val());
    else if (a == "--label") o.label = val();
    else if (a == "--set") {
      std::string kv = val();
      auto eq = kv.find('=');
      if (eq == std::string::npos) usage("--set expects key=value");
      o.extra.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else usage(("unknown option " + a).c_str());
  }
  if (o.acks == "-1") o.acks = "all";
  if (o.mode == "produce" && o.count < 0 && o.duration <= 0) o.count = 1000000;
  if (o.producers < 1 || o.partitions < 1) usage("--producers and --partitions must be >= 1");
  return o;
}

void set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "samsa_e2e: config %s=%s: %s\n", k.c_str(), v.c_str(), err);
    std::exit(2);
  }
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "samsa_e2e: rd_kafka_new: %s\n", err);
    std::exit(1);
  }
  return rk;
}

rd_kafka_conf_t* base_conf(const options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.brokers);
  set(conf, "client.id", "samsa-e2e");
  return conf;
}

// Creates the topic with o.partitions partitions and o.replication_factor replicas unless it exists.
void ensure_topic(const options& o) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  char err[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, o.replication_factor, err, sizeof err);
  if (!nt) {
    std::fprintf(stderr, "samsa_e2e: NewTopic: %s\n", err);
    std::exit(1);
  }
  if (o.min_insync_replicas > 0)
    rd_kafka_NewTopic_set_config(nt, "min.insync.replicas", std::to_string(o.min_insync_replicas).c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(ao, 10000, err, sizeof err);
  rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 20000);
  if (!ev) {
    std::fprintf(stderr, "samsa_e2e: CreateTopics timed out\n");
    std::exit(1);
  }
  if (rd_kafka_event_error(ev)) {
    std::fprintf(stderr, "samsa_e2e: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
    std::exit(1);
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  for (size_t i = 0; i < n; ++i) {
    auto e = rd_kafka_topic_result_error(res[i]);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      std::fprintf(stderr, "samsa_e2e: CreateTopics %s: %s\n", o.topic.c_str(), rd_kafka_topic_result_error_string(res[i]));
      std::exit(1);
    }
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(ao);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

struct producer_state {
  log_linear_histogram hist;
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t last_delivery_ns = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<producer_state*>(opaque);
  const uint64_t t = now_ns();
  if (m->err) {
    if (!st->failed++) st->first_error = m->err;
    return;
  }
  ++st->delivered;
  st->last_delivery_ns = t;
  st->hist.record(t - reinterpret_cast<uintptr_t>(m->_private));
}

std::atomic<bool> g_stop{false};

void run_producer(const options& o, int id, int64_t quota, const std::vector<char>& payload,
                  producer_state* st, std::atomic<int>* ready) {
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "acks", o.acks);
  set(conf, "linger.ms", o.linger_ms);
  set(conf, "batch.size", o.batch_size);
  set(conf, "compression.type", o.compression);
  set(conf, "enable.idempotence", o.idempotence ? "true" : "false");
  set(conf, "max.in.flight.requests.per.connection", o.max_in_flight);
  // A bounded client queue (like the Java producer's 32 MiB buffer.memory): throughput runs then measure the broker,
  // not a backlog drained long after --duration, and latency under load stays meaningful.
  set(conf, "queue.buffering.max.messages", "100000");
  set(conf, "queue.buffering.max.kbytes", "32768");
  set(conf, "message.max.bytes", "1048576");
  for (auto& [k, v] : o.extra) set(conf, k, v);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, st);
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, conf);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  // Warm up the connection and metadata so the first latency sample is not a connect.
  const struct rd_kafka_metadata* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
  ready->fetch_add(1);
  while (ready->load() >= 0) std::this_thread::yield();  // the main thread sets -1 to start everyone together

  int64_t sent = 0;
  const int partitions = o.partitions;
  int32_t part = id % partitions;
  while (!g_stop.load(std::memory_order_relaxed)) {
    if (quota >= 0 && sent >= quota) break;
    if (o.max_outstanding > 0 && sent - static_cast<int64_t>(st->delivered + st->failed) >= o.max_outstanding) {
      rd_kafka_poll(rk, 100);  // returns as soon as a delivery report is served
      continue;
    }
    // Keyless messages; with more than one partition let librdkafka's sticky partitioner pick (RD_KAFKA_PARTITION_UA).
    const int32_t p = partitions > 1 ? RD_KAFKA_PARTITION_UA : part;
    void* stamp = reinterpret_cast<void*>(static_cast<uintptr_t>(now_ns()));
    if (rd_kafka_produce(rkt, p, 0, const_cast<char*>(payload.data()), payload.size(), nullptr, 0, stamp) == -1) {
      const auto e = rd_kafka_last_error();
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        continue;
      }
      std::fprintf(stderr, "samsa_e2e: produce: %s\n", rd_kafka_err2str(e));
      break;
    }
    ++sent;
    rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 1);
  rd_kafka_flush(rk, 30000);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
}

void print_common(const options& o, uint64_t msgs, double secs) {
  const double bytes = static_cast<double>(msgs) * static_cast<double>(o.size);
  std::printf("{\"mode\":\"%s\",\"label\":\"%s\",\"topic\":\"%s\",\"size\":%zu,\"acks\":\"%s\",\"partitions\":%d,"
              "\"producers\":%d,\"linger_ms\":%s,\"batch_size\":%s,\"compression\":\"%s\",\"idempotence\":%s,"
              "\"max_in_flight\":%s,\"messages\":%" PRIu64 ",\"seconds\":%.6f,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f",
              o.mode.c_str(), o.label.c_str(), o.topic.c_str(), o.size, o.acks.c_str(), o.partitions, o.producers,
              o.linger_ms.c_str(), o.batch_size.c_str(), o.compression.c_str(), o.idempotence ? "true" : "false",
              o.max_in_flight.c_str(), msgs, secs, secs > 0 ? static_cast<double>(msgs) / secs : 0.0,
              secs > 0 ? bytes / secs / 1e6 : 0.0);
}

int produce(const options& o) {
  ensure_topic(o);
  std::vector<char> payload(o.size);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::vector<producer_state> states(static_cast<size_t>(o.producers));
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  const uint64_t dur_ns = o.duration > 0 ? static_cast<uint64_t>(o.duration * 1e9) : 0;
  uint64_t start = 0;
  std::vector<int64_t> quotas;  // with --duration, the main thread stops the producers (g_stop)
  for (int i = 0; i < o.producers; ++i)
    quotas.push_back(o.count < 0 ? -1 : o.count / o.producers + (i < o.count % o.producers ? 1 : 0));
  for (int i = 0; i < o.producers; ++i) {
    threads.emplace_back(
        [&, i] { run_producer(o, i, quotas[static_cast<size_t>(i)], payload, &states[static_cast<size_t>(i)], &ready); });
  }
  while (ready.load() < o.producers) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  start = now_ns();
  ready.store(-1);
  if (dur_ns) {
    while (now_ns() < start + dur_ns) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    g_stop.store(true);
  }
  for (auto& t : threads) t.join();

  log_linear_histogram all;
  uint64_t delivered = 0, failed = 0, last = start;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (auto& s : states) {
    all.merge(s.hist);
    delivered += s.delivered;
    failed += s.failed;
    last = std::max(last, s.last_delivery_ns);
    if (s.failed && first_error == RD_KAFKA_RESP_ERR_NO_ERROR) first_error = s.first_error;
  }
  const double secs = static_cast<double>(last - start) / 1e9;
  auto us = [&](double q) { return static_cast<double>(all.quantile(q)) / 1e3; };
  print_common(o, delivered, secs);
  std::printf(",\"failed\":%" PRIu64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n", failed,
              us(0.5), us(0.99), us(0.999), static_cast<double>(all.max()) / 1e3);
  std::fflush(stdout);
  std::fprintf(stderr,
               "produce %s: %" PRIu64 " x %zu B, acks=%s, %d partitions, %d producers: %.0f msgs/s, %.1f MB/s, "
               "latency p50 %.2f ms p99 %.2f ms p99.9 %.2f ms%s%s\n",
               o.topic.c_str(), delivered, o.size, o.acks.c_str(), o.partitions, o.producers,
               secs > 0 ? static_cast<double>(delivered) / secs : 0.0,
               secs > 0 ? static_cast<double>(delivered) * static_cast<double>(o.size) / secs / 1e6 : 0.0,
               us(0.5) / 1e3, us(0.99) / 1e3, us(0.999) / 1e3, failed ? ", FAILED deliveries: " : "",
               failed ? rd_kafka_err2str(first_error) : "");
  return failed ? 1 : 0;
}

int consume(const options& o) {
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "group.id", "samsa-e2e");
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.partition.eof", "false");
  set(conf, "auto.offset.reset", "earliest");
  // Kafka's and librdkafka's defaults. A larger max.partition.fetch.bytes (10 MiB was used until 2026-11-25) makes
  // 16-partition responses of up to fetch.max.bytes (50 MB), above glibc's largest mmap threshold (32 MiB): every
  // response buffer is then a fresh mmap that the client page-faults in while recv() copies into it, and the
  // consumer, not the broker, ran at ~160 MB/s (docs/benchmarks.md, End to end). Override with --set.
  set(conf, "fetch.max.bytes", "52428800");
  set(conf, "max.partition.fetch.bytes", "1048576");
  set(conf, "queued.max.messages.kbytes", "262144");
  set(conf, "fetch.wait.max.ms", "100");
  for (auto& [k, v] : o.extra) set(conf, k, v);
  rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk);

  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  const struct rd_kafka_metadata* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 ||
      md->topics[0].err || md->topics[0].partition_cnt == 0) {
    std::fprintf(stderr, "samsa_e2e: topic %s not found\n", o.topic.c_str());
    return 1;
  }
  const int nparts = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);

  int64_t target = o.count;
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(nparts);
  int64_t available = 0;
  for (int p = 0; p < nparts; ++p) {
    rd_kafka_topic_partition_list_add(parts, o.topic.c_str(), p)->offset = 0;
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk, o.topic.c_str(), p, &lo, &hi, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
      available += hi;
  }
  if (target < 0) target = available;
  if (target <= 0) {
    std::fprintf(stderr, "samsa_e2e: nothing to consume in %s\n", o.topic.c_str());
    return 1;
  }

  // Timed from the first message received, so connection setup and the first fetch round trip are not counted.
  uint64_t start = 0;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk);
  std::vector<rd_kafka_message_t*> batch(4096);
  int64_t got = 0, bytes = 0, errors = 0;
  uint64_t last_progress = now_ns();
  while (got < target) {
    const ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch.data(), batch.size());
    const uint64_t t = now_ns();
    if (n > 0 && start == 0) start = t;
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err) ++errors;
      else {
        ++got;
        bytes += static_cast<int64_t>(m->len);
      }
      rd_kafka_message_destroy(m);
    }
    if (n > 0) last_progress = t;
    else if (t - last_progress > 15'000'000'000ull) {
      std::fprintf(stderr, "samsa_e2e: no progress for 15 s at %" PRId64 "/%" PRId64 "\n", got, target);
      break;
    }
  }
  const double secs = start ? static_cast<double>(now_ns() - start) / 1e9 : 0.0;
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);

  options shown = o;
  shown.partitions = nparts;
  shown.size = got ? static_cast<size_t>(bytes / got) : o.size;
  print_common(shown, static_cast<uint64_t>(got), secs);
  std::printf(",\"payload_bytes\":%" PRId64 ",\"errors\":%" PRId64 "}\n", bytes, errors);
  std::fflush(stdout);
  std::fprintf(stderr, "consume %s: %" PRId64 " messages (%d partitions) in %.2f s: %.0f msgs/s, %.1f MB/s\n",
               o.topic.c_str(), got, nparts, secs, static_cast<double>(got) / secs, static_cast<double>(bytes) / secs / 1e6);
  return got >= target ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  return o.mode == "produce" ? produce(o) : consume(o);
}
