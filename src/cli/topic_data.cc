// samsactl topic produce / consume: records from files or stdin to a topic, and from a topic to stdout.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "topic_data.h"

namespace samsa::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// ---- produce ------------------------------------------------------------------------------------------------

struct ProduceStats {
  int64_t delivered = 0, failed = 0;
  rd_kafka_resp_err_t first_err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* s = static_cast<ProduceStats*>(opaque);
  if (m->err) {
    ++s->failed;
    if (!s->first_err) s->first_err = m->err;
  } else {
    ++s->delivered;
  }
}

// A one-line progress bar with rate on stderr, redrawn at most every 100 ms (only when stderr is a terminal).
class Progress {
 public:
  Progress(bool enabled, uint64_t total_bytes) : enabled_(enabled), total_(total_bytes) {}
  void update(uint64_t bytes, int64_t records, bool final = false) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double frac = total_ ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_)) : 1.0;
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < width) bar += '>' + std::string(static_cast<size_t>(width - filled - 1), ' ');
    char line[200];
    std::snprintf(line, sizeof line, "\r[%s] %3d%%  %.1f/%.1f MiB  %lld records  %.0f rec/s  %.1f MiB/s\033[K", bar.c_str(),
                  static_cast<int>(frac * 100), static_cast<double>(bytes) / 1048576.0, static_cast<double>(total_) / 1048576.0,
                  static_cast<long long>(records), secs > 0 ? static_cast<double>(records) / secs : 0.0,
                  secs > 0 ? static_cast<double>(bytes) / 1048576.0 / secs : 0.0);
    std::fputs(line, stderr);
    if (final) std::fputs("\n", stderr);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  uint64_t total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

void add_produce(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "produce", "Produce one record per input line (stdin or --file)");
  static std::string name, file, key_sep, compression, acks;
  static std::vector<std::string> headers;
  static int partition = RD_KAFKA_PARTITION_UA;
  cmd->add_option("name", name, "Topic name")->required();
  cmd->add_option("--file", file, "Read records from this file instead of stdin");
  cmd->add_option("-k,--key-separator", key_sep, "Split each line at the first occurrence into key and value");
  cmd->add_option("-H,--header", headers, "Header key=value added to every record (repeatable)")->allow_extra_args(false);
  cmd->add_option("-p,--partition", partition, "Partition (default: chosen by the partitioner)");
  cmd->add_option("-z,--compression", compression, "none, gzip, snappy, lz4 or zstd")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  cmd->add_option("--acks", acks, "0, 1 or all (-1)")->check(CLI::IsMember({"0", "1", "all", "-1"}));
  static bool no_progress = false;
  cmd->add_flag("--no-progress", no_progress, "No progress bar (it is shown only for --file with stderr on a terminal)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      std::vector<std::pair<std::string, std::string>> hdrs;
      for (const auto& hv : headers) hdrs.push_back(split_kv(hv, "-H/--header"));
      std::ifstream in_file;
      std::istream* in = &std::cin;
      if (!file.empty()) {
        in_file.open(file, std::ios::binary);
        if (!in_file) throw CliError(kUsage, "", "cannot open --file " + file);
        in = &in_file;
      }
      {
        Handle probe = connect_admin(ctx.conn);
        Metadata md = fetch_metadata(probe.get(), ctx.conn, true);
        const auto& t = find_topic(*md, name);
        if (partition != RD_KAFKA_PARTITION_UA && (partition < 0 || partition >= t.partition_cnt))
          throw CliError(kNotFound, "UNKNOWN_TOPIC_OR_PART",
                         "topic '" + name + "' has no partition " + std::to_string(partition) + " (it has " +
                             std::to_string(t.partition_cnt) + ")");
      }
      ProduceStats stats;
      std::vector<std::pair<std::string, std::string>> extra = {
          {"message.timeout.ms", std::to_string(std::max(ctx.conn.timeout_ms, 1000))}};
      if (!compression.empty()) extra.emplace_back("compression.codec", compression);
      if (!acks.empty()) extra.emplace_back("acks", acks);
      rd_kafka_conf_t* conf = make_conf(ctx.conn, extra);
      rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
      rd_kafka_conf_set_opaque(conf, &stats);
      Handle h = make_handle(ctx.conn, RD_KAFKA_PRODUCER, conf);
      std::error_code size_err;
      uint64_t file_size = file.empty() ? 0 : std::filesystem::file_size(file, size_err);
      Progress progress(!file.empty() && !no_progress && isatty(STDERR_FILENO), size_err ? 0 : file_size);
      uint64_t bytes_read = 0;
      std::string line;
      int64_t sent = 0;
      while (std::getline(*in, line)) {
        bytes_read += line.size() + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string key, value = line;
        bool has_key = false;
        if (!key_sep.empty()) {
          auto pos = line.find(key_sep);
          if (pos != std::string::npos) {
            key = line.substr(0, pos);
            value = line.substr(pos + key_sep.size());
            has_key = true;
          }
        }
        rd_kafka_headers_t* hs = nullptr;
        if (!hdrs.empty()) {
          hs = rd_kafka_headers_new(hdrs.size());
          for (const auto& [k, v] : hdrs) rd_kafka_header_add(hs, k.c_str(), static_cast<ssize_t>(k.size()), v.data(), static_cast<ssize_t>(v.size()));
        }
        for (;;) {
          rd_kafka_resp_err_t err =
              rd_kafka_producev(h.get(), RD_KAFKA_V_TOPIC(name.c_str()), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_KEY(has_key ? key.data() : nullptr, has_key ? key.size() : 0),
                                RD_KAFKA_V_HEADERS(hs), RD_KAFKA_V_END);
          if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(h.get(), 100);
            continue;
          }
          if (err) {
            if (hs) rd_kafka_headers_destroy(hs);
            fail(err, "producing to topic '" + name + "'");
          }
          break;
        }
        ++sent;
        rd_kafka_poll(h.get(), 0);
        progress.update(bytes_read, sent);
      }
      rd_kafka_resp_err_t ferr = rd_kafka_flush(h.get(), ctx.conn.timeout_ms + 1000);
      rd_kafka_poll(h.get(), 0);
      progress.update(std::min<uint64_t>(bytes_read, file_size), stats.delivered, true);
      int64_t unacked = sent - stats.delivered - stats.failed;
      Table t({"topic", "records", "failed"});
      t.add({name, std::to_string(stats.delivered), std::to_string(stats.failed + unacked)});
      if (ctx.structured())
        emit(ctx, t, {{"topic", name}, {"records", stats.delivered}, {"failed", stats.failed + unacked}});
      else
        std::cerr << t.render();
      if (stats.first_err) fail(stats.first_err, "delivering records to topic '" + name + "'");
      if (ferr || unacked > 0) fail(RD_KAFKA_RESP_ERR__TIMED_OUT, "delivering records to topic '" + name + "'");
      return 0;
    };
  });
}

// ---- consume ------------------------------------------------------------------------------------------------

struct StartOffset {
  enum Kind { kStart, kEnd, kAbsolute, kTail, kTimestamp } kind = kStart;
  int64_t value = 0;
};

StartOffset parse_offset(const std::string& s) {
  StartOffset o;
  try {
    if (s == "start" || s == "beginning" || s == "oldest") {
      o.kind = StartOffset::kStart;
    } else if (s == "end" || s == "newest") {
      o.kind = StartOffset::kEnd;
    } else if (!s.empty() && s[0] == '@') {
      o.kind = StartOffset::kTimestamp;
      o.value = std::stoll(s.substr(1));
    } else if (!s.empty() && s[0] == '-') {
      o.kind = StartOffset::kTail;
      o.value = std::stoll(s.substr(1));
    } else {
      size_t used = 0;
      o.kind = StartOffset::kAbsolute;
      o.value = std::stoll(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
    }
  } catch (const std::exception&) {
    throw CliError(kUsage, "", "invalid -o/--offset '" + s + "': use start, end, N, -N or @timestamp-ms");
  }
  return o;
}

std::string unescape(const std::string& f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 1 < f.size()) {
      char c = f[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c == '\\' ? '\\' : c;
    } else {
      out += f[i];
    }
  }
  return out;
}

std::string field(const void* p, size_t n) { return p ? std::string(static_cast<const char*>(p), n) : std::string(); }

void print_record(const Context& ctx, bool json, const std::string& fmt, const rd_kafka_message_t* m) {
  rd_kafka_timestamp_type_t tstype;
  int64_t ts = rd_kafka_message_timestamp(m, &tstype);
  std::vector<std::pair<std::string, std::optional<std::string>>> hs;
  rd_kafka_headers_t* h = nullptr;
  if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
    const char* name;
    const void* val;
    size_t sz;
    for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &val, &sz) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      hs.emplace_back(name, val ? std::optional<std::string>(field(val, sz)) : std::nullopt);
  }
  std::string topic = rd_kafka_topic_name(m->rkt);
  if (json) {
    nlohmann::json jh = nlohmann::json::array();
    for (const auto& [k, v] : hs) jh.push_back({{"key", k}, {"value", v ? nlohmann::json(*v) : nlohmann::json(nullptr)}});
    nlohmann::json j = {{"topic", topic},
                        {"partition", m->partition},
                        {"offset", m->offset},
                        {"timestamp", ts},
                        {"key", m->key ? nlohmann::json(field(m->key, m->key_len)) : nlohmann::json(nullptr)},
                        {"value", m->payload ? nlohmann::json(field(m->payload, m->len)) : nlohmann::json(nullptr)},
                        {"headers", jh}};
    if (ctx.format() == Format::kYaml)
      std::cout << "---\n" << dump_yaml(j);
    else
      std::cout << dump_json(j, -1) << '\n';
    return;
  }
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    switch (fmt[++i]) {
      case 'k': out += field(m->key, m->key_len); break;
      case 'v': out += field(m->payload, m->len); break;
      case 'p': out += std::to_string(m->partition); break;
      case 'o': out += std::to_string(m->offset); break;
      case 't': out += topic; break;
      case 'T': out += std::to_string(ts); break;
      case 'K': out += std::to_string(m->key ? m->key_len : 0); break;
      case 'S': out += std::to_string(m->len); break;
      case 'h': {
        std::string s;
        for (const auto& [k, v] : hs) s += (s.empty() ? "" : ",") + k + "=" + v.value_or("");
        out += s;
        break;
      }
      case '%': out += '%'; break;
      default: out += '%'; out += fmt[i];
    }
  }
  std::cout << out;
}

void add_consume(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "consume", "Consume records (JSON per line when stdout is not a TTY)");
  static std::string name, offset = "", group, fmt;
  static int64_t count = -1;
  static std::vector<int> partitions;
  static bool exit_at_end = false;
  cmd->add_option("name", name, "Topic name")->required();
  cmd->add_option("-o,--offset", offset, "start | end | N | -N (N from the end) | @timestamp-ms (default start; with -g: committed, else start)");
  cmd->add_option("-n,--num", count, "Stop after this many records");
  cmd->add_option("-g,--group", group, "Consume in this consumer group (commits offsets)");
  cmd->add_option("-p,--partition", partitions, "Only these partitions (without -g; repeatable)")->allow_extra_args(false);
  cmd->add_option("-f,--format-string", fmt, "Record format: %k key %v value %p partition %o offset %t topic %T timestamp %h headers (newline added unless \\n given)");
  cmd->add_flag("-e,--exit", exit_at_end, "Exit when the end of every partition is reached");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      StartOffset so = parse_offset(offset.empty() ? "start" : offset);
      bool json = fmt.empty() && (ctx.structured() || (ctx.format_name.empty() && !isatty(STDOUT_FILENO)));
      std::string f = fmt.empty() ? std::string("%v") : unescape(fmt);
      if (f.find('\n') == std::string::npos) f += '\n';
      Handle probe = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(probe.get(), ctx.conn, true);
      const auto& t = find_topic(*md, name);
      std::vector<std::pair<std::string, std::string>> extra = {{"enable.partition.eof", "true"}};
      if (!group.empty()) {
        extra.emplace_back("group.id", group);
        extra.emplace_back("auto.offset.reset", so.kind == StartOffset::kEnd ? "latest" : "earliest");
        extra.emplace_back("enable.auto.commit", "false");
      } else {
        // librdkafka's assign() needs a group.id; this one never joins or commits, so the broker never sees it.
        extra.emplace_back("group.id", "samsactl-assign");
        extra.emplace_back("enable.auto.commit", "false");
        extra.emplace_back("enable.auto.offset.store", "false");
      }
      Handle h = make_handle(ctx.conn, RD_KAFKA_CONSUMER, make_conf(ctx.conn, extra));
      rd_kafka_poll_set_consumer(h.get());
      size_t assigned = 0;
      if (!group.empty()) {
        if (!offset.empty() && so.kind != StartOffset::kStart && so.kind != StartOffset::kEnd)
          throw CliError(kUsage, "", "with -g only -o start|end apply (as auto.offset.reset); seek the group with `samsactl group seek`");
        PartitionList sub(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(sub.get(), name.c_str(), RD_KAFKA_PARTITION_UA);
        if (auto err = rd_kafka_subscribe(h.get(), sub.get())) fail(err, "subscribing to topic '" + name + "'");
      } else {
        PartitionList pl(rd_kafka_topic_partition_list_new(t.partition_cnt));
        for (int i = 0; i < t.partition_cnt; ++i) {
          int32_t p = t.partitions[i].id;
          if (!partitions.empty() && std::find(partitions.begin(), partitions.end(), p) == partitions.end()) continue;
          auto* e = rd_kafka_topic_partition_list_add(pl.get(), name.c_str(), p);
          switch (so.kind) {
            case StartOffset::kStart: e->offset = RD_KAFKA_OFFSET_BEGINNING; break;
            case StartOffset::kEnd: e->offset = RD_KAFKA_OFFSET_END; break;
            case StartOffset::kAbsolute: e->offset = so.value; break;
            case StartOffset::kTail: e->offset = RD_KAFKA_OFFSET_TAIL(so.value); break;
            case StartOffset::kTimestamp: e->offset = so.value; break;
          }
        }
        if (pl->cnt == 0) throw CliError(kNotFound, "UNKNOWN_TOPIC_OR_PART", "topic '" + name + "' has none of the requested partitions");
        if (so.kind == StartOffset::kTimestamp) {
          if (auto err = rd_kafka_offsets_for_times(h.get(), pl.get(), ctx.conn.timeout_ms))
            fail(err, "looking up offsets for timestamp " + std::to_string(so.value));
          for (int i = 0; i < pl->cnt; ++i)
            if (pl->elems[i].offset < 0) pl->elems[i].offset = RD_KAFKA_OFFSET_END;
        }
        if (auto err = rd_kafka_assign(h.get(), pl.get())) fail(err, "assigning partitions of '" + name + "'");
        assigned = static_cast<size_t>(pl->cnt);
      }
      signal(SIGINT, on_signal);
      signal(SIGTERM, on_signal);
      signal(SIGPIPE, SIG_IGN);
      std::set<int32_t> at_eof;
      int64_t seen = 0;
      int rc = 0;
      while (!g_stop && (count < 0 || seen < count)) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(h.get(), 200);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          at_eof.insert(m->partition);
          rd_kafka_message_destroy(m);
          if (exit_at_end) {
            size_t need = assigned;
            if (!group.empty()) {
              rd_kafka_topic_partition_list_t* a = nullptr;
              if (!rd_kafka_assignment(h.get(), &a) && a) {
                need = static_cast<size_t>(a->cnt);
                rd_kafka_topic_partition_list_destroy(a);
              }
            }
            if (need > 0 && at_eof.size() >= need) break;
          }
          continue;
        }
        if (m->err) {
          rd_kafka_resp_err_t err = m->err;
          std::string detail = rd_kafka_message_errstr(m);
          rd_kafka_message_destroy(m);
          if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) continue;  // retried
          fail(err, "consuming from topic '" + name + "'", detail);
        }
        at_eof.erase(m->partition);
        print_record(ctx, json, f, m);
        ++seen;
        rd_kafka_message_destroy(m);
      }
      std::cout.flush();
      if (!group.empty()) {
        rd_kafka_resp_err_t err = rd_kafka_commit(h.get(), nullptr, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
          std::cerr << "samsactl: error: committing offsets for group '" << group << "': " << rd_kafka_err2name(err) << '\n';
          rc = kError;
        }
        rd_kafka_consumer_close(h.get());
      }
      return rc;
    };
  });
}
}  // namespace

void add_topic_data_commands(CLI::App& topic, Context& ctx) {
  add_produce(topic, ctx);
  add_consume(topic, ctx);
}

}  // namespace samsa::cli
