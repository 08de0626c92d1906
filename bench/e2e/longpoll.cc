// samsa_longpoll: what parked fetches cost a broker when many partitions see a trickle of appends (issue 13's
// many-partition long-poll case). Speaks the Kafka protocol itself (src/client), so it runs against any broker.
//
//   samsa_longpoll --broker 127.0.0.1:9092 --partitions 1000 --fetchers 200 --rate 2000 --seconds 10 --pid PID
//
// It creates the topic (CreateTopics, replication factor 1), then opens `fetchers` connections, each long-polling
// (Fetch v11, max_wait 30 s, min_bytes 1) its own partitions (partition p belongs to fetcher p % fetchers), and one
// producer connection appending one 100-byte record per request (Produce v7, acks=1) to the partitions in turn at
// `rate` requests per second. Every append makes exactly one parked fetch's data available. Over the measured
// window it reads the broker's CPU time (utime + stime of /proc/PID/stat) and prints one JSON line:
// {"produced", "fetch_responses", "records_fetched", "seconds", "broker_cpu_s", "broker_cpu_us_per_append"}.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "samsa/client/connection.h"
#include "samsa/protocol/messages/create_topics.h"
#include "samsa/protocol/messages/fetch.h"
#include "samsa/protocol/messages/metadata.h"
#include "samsa/protocol/messages/produce.h"
#include "samsa/records/record_batch.h"

namespace {

using namespace samsa;

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 9092;
  std::string topic = "longpoll";
  int partitions = 1000;
  int fetchers = 200;
  int rate = 2000;
  double seconds = 10;
  int pid = 0;
};

struct counters {
  int64_t produced = 0;
  int64_t fetch_responses = 0;
  int64_t records_fetched = 0;
  bool stop = false;
};

double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!pid || !std::getline(in, line)) return 0;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

client::options client_options(const char* id) {
  client::options o;
  o.client_id = id;
  o.connect_timeout = 5s;
  return o;
}

asio::awaitable<bool> create_topic(const options& opt) {
  client::connection c(co_await asio::this_coro::executor, client_options("longpoll-admin"));
  if (co_await c.connect(opt.host, opt.port)) co_return false;
  protocol::CreateTopicsRequest req;
  req.timeout_ms = 30000;
  auto& t = req.topics.emplace_back();
  t.name = opt.topic;
  t.num_partitions = opt.partitions;
  t.replication_factor = 1;
  auto r = co_await c.call<protocol::CreateTopicsResponse>(req, 4, 60s);
  if (!r || r->message.topics.empty()) co_return false;
  const auto e = r->message.topics.front().error_code;
  if (e != protocol::kafka_errc::none && e != protocol::kafka_errc::topic_already_exists) co_return false;
  // Wait until every partition has a leader.
  protocol::MetadataRequest md;
  md.topics.emplace().emplace_back().name = opt.topic;
  md.allow_auto_topic_creation = false;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto m = co_await c.call<protocol::MetadataResponse>(md, 8, 10s);
    if (m && !m->message.topics.empty() &&
        static_cast<int>(m->message.topics.front().partitions.size()) == opt.partitions) {
      bool all = true;
      for (const auto& p : m->message.topics.front().partitions) all &= p.leader_id >= 0 && p.error_code == protocol::kafka_errc::none;
      if (all) co_return true;
    }
    pause.expires_after(100ms);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return false;
}

// One parked consumer of the partitions p with p % fetchers == index.
asio::awaitable<void> fetcher(const options& opt, int index, counters& n) {
  client::connection c(co_await asio::this_coro::executor, client_options("longpoll-fetch"));
  if (co_await c.connect(opt.host, opt.port)) co_return;
  std::vector<int> parts;
  std::vector<int64_t> offsets;
  for (int p = index; p < opt.partitions; p += opt.fetchers) parts.push_back(p);
  offsets.assign(parts.size(), 0);
  while (!n.stop) {
    protocol::FetchRequest req;
    req.replica_id = -1;
    req.max_wait_ms = 30000;
    req.min_bytes = 1;
    req.max_bytes = 50 << 20;
    req.session_epoch = -1;
    auto& t = req.topics.emplace_back();
    t.topic = opt.topic;
    for (size_t i = 0; i < parts.size(); ++i) {
      auto& fp = t.partitions.emplace_back();
      fp.partition = parts[i];
      fp.fetch_offset = offsets[i];
      fp.partition_max_bytes = 1 << 20;
    }
    auto r = co_await c.call<protocol::FetchResponse>(req, 11, 60s);
    if (!r) co_return;
    ++n.fetch_responses;
    for (const auto& rt : r->message.responses) {
      for (const auto& rp : rt.partitions) {
        if (!rp.records || rp.records->size() == 0) continue;
        for (size_t i = 0; i < parts.size(); ++i) {
          if (parts[i] != rp.partition_index) continue;
          for (std::span<const uint8_t> rest = rp.records->span(); !rest.empty();) {
            auto b = records::batch_view::parse(rest);
            if (!b) break;
            n.records_fetched += b->record_count();
            offsets[i] = b->last_offset() + 1;
            rest = rest.subspan(b->size_bytes());
          }
        }
      }
    }
  }
}

asio::awaitable<void> producer(const options& opt, counters& n, clk::time_point end) {
  client::connection c(co_await asio::this_coro::executor, client_options("longpoll-produce"));
  if (co_await c.connect(opt.host, opt.port)) co_return;
  const std::string value(100, 'x');
  asio::steady_timer pace(co_await asio::this_coro::executor);
  const auto gap = std::chrono::nanoseconds(1'000'000'000LL / std::max(1, opt.rate));
  auto next = clk::now();
  for (int64_t i = 0; clk::now() < end; ++i) {
    records::batch_builder bb;
    bb.add(0, std::nullopt, value);
    auto batch = bb.build();
    protocol::ProduceRequest req;
    req.acks = 1;
    req.timeout_ms = 30000;
    auto& t = req.topic_data.emplace_back();
    t.name = opt.topic;
    auto& pd = t.partition_data.emplace_back();
    pd.index = static_cast<int32_t>(i % opt.partitions);
    pd.records = protocol::records_view{batch->data(), batch->size()};
    auto r = co_await c.call<protocol::ProduceResponse>(req, 7, 30s);
    if (!r) co_return;
    ++n.produced;
    next += gap;
    pace.expires_at(next);
    co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> run(const options& opt, counters& n, int& rc) {
  if (!co_await create_topic(opt)) {
    std::fprintf(stderr, "longpoll: cannot create topic %s with %d partitions\n", opt.topic.c_str(), opt.partitions);
    rc = 1;
    co_return;
  }
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < opt.fetchers; ++i) asio::co_spawn(ex, fetcher(opt, i, n), asio::detached);
  asio::steady_timer settle(ex, 1s);  // every fetch parked
  co_await settle.async_wait(asio::as_tuple(asio::use_awaitable));
  const int64_t responses_before = n.fetch_responses;
  const double cpu0 = process_cpu_seconds(opt.pid);
  const auto t0 = clk::now();
  const auto end = t0 + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(opt.seconds));
  co_await producer(opt, n, end);
  const double secs = std::chrono::duration<double>(clk::now() - t0).count();
  const double cpu = process_cpu_seconds(opt.pid) - cpu0;
  std::printf("{\"produced\": %lld, \"fetch_responses\": %lld, \"records_fetched\": %lld, \"seconds\": %.2f, "
              "\"broker_cpu_s\": %.3f, \"broker_cpu_us_per_append\": %.1f}\n",
              static_cast<long long>(n.produced), static_cast<long long>(n.fetch_responses - responses_before),
              static_cast<long long>(n.records_fetched), secs, cpu,
              n.produced ? cpu * 1e6 / static_cast<double>(n.produced) : 0.0);
  std::fflush(stdout);
  n.stop = true;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--broker") {
      opt.host = v.substr(0, v.rfind(':'));
      opt.port = static_cast<uint16_t>(std::stoi(v.substr(v.rfind(':') + 1)));
    } else if (k == "--topic") opt.topic = v;
    else if (k == "--partitions") opt.partitions = std::stoi(v);
    else if (k == "--fetchers") opt.fetchers = std::stoi(v);
    else if (k == "--rate") opt.rate = std::stoi(v);
    else if (k == "--seconds") opt.seconds = std::stod(v);
    else if (k == "--pid") opt.pid = std::stoi(v);
    else {
      std::fprintf(stderr, "usage: samsa_longpoll --broker HOST:PORT [--topic T] [--partitions N] [--fetchers N] "
                           "[--rate PER_S] [--seconds S] [--pid BROKER_PID]\n");
      return 2;
    }
  }
  asio::io_context io(1);
  counters n;
  int rc = 0;
  asio::co_spawn(io, run(opt, n, rc), [&](std::exception_ptr) { io.stop(); });
  io.run();
  return rc;
}
