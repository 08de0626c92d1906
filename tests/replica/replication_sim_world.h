#pragma once
// The replication simulator's world (see replication_sim.h): the simulated network, controller, clients and
// brokers. A broker here is the production replica layer — replica::partition_manager reconciling metadata images,
// replica::partition serving appends, follower fetches, OffsetForLeaderEpoch and ISR changes, and a
// replica::follower_session deciding what its fetcher asks and applying the answers — over real storage::log_manager
// logs in a temporary directory. The simulator supplies only what samsad's I/O shells supply in production: the
// transport (messages with delays, drops, duplicates and cuts), the clock, the request handlers' few lines of glue,
// and process crashes and restarts.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "replication_sim.h"
#include "samsa/cluster/controller.h"
#include "samsa/replica/follower_session.h"
#include "samsa/replica/partition_manager.h"
#include "samsa/storage/log_manager.h"

namespace samsa::cluster::sim {

// Deterministic PRNG (splitmix64): the sequence must not depend on the standard library.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1))); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

inline constexpr broker_id controller_id = 0;  // the controller's network address
inline constexpr broker_id client_id = -1;     // the producing clients (never partitioned away)
inline constexpr int32_t min_isr = 2;          // min.insync.replicas
inline constexpr int64_t tick_ms = 10;
inline constexpr int64_t quiet_ms = 3000;
inline const std::string topic_name = "t";

enum class mk : uint8_t {
  fetch_req, fetch_resp, epoch_req, epoch_resp, produce_req, produce_resp,
  register_req, register_resp, heartbeat_req, heartbeat_resp, alter_req, alter_resp
};

struct message {
  mk kind = mk::fetch_req;
  broker_id from = 0, to = 0;
  uint64_t id = 0;           // request id; a response echoes it
  uint64_t incarnation = 0;  // of the requesting process; its response is lost when that process died (TCP)
  protocol::kafka_errc error = protocol::kafka_errc::none;
  int64_t offset = -1;       // produced offset / registration incarnation / heartbeat's image offset
  uint64_t payload = 0;
  int64_t broker_epoch = -1;
  // Replication traffic: the Kafka messages the production code builds and reads. A fetch response's records are
  // views into `records`.
  std::optional<protocol::FetchRequest> fetch;
  std::optional<protocol::FetchResponse> fetched;
  std::optional<protocol::OffsetForLeaderEpochRequest> epoch_req;
  std::optional<protocol::OffsetForLeaderEpochResponse> epoch_resp;
  std::shared_ptr<const std::vector<uint8_t>> records;
  std::shared_ptr<const metadata_image> image;  // heartbeat responses carry the controller's image
  std::optional<alter_partition_request> alter;
  std::optional<alter_partition_response> altered;
};

struct produce_wait {
  uint64_t payload;
  samsa::leader_epoch epoch;
  int64_t end;
  int64_t deadline;
};

// One entry of a log as the checks see it: each produced batch holds one record whose value is its payload id.
struct entry {
  int64_t offset = 0;
  int32_t epoch = 0;
  uint64_t payload = 0;
  friend bool operator==(const entry&, const entry&) = default;
};

struct broker {
  broker_id id = 0;
  bool up = true;
  int64_t paused_until = 0;  // SIGSTOP: no ticks, messages wait in the socket buffers
  uint64_t incarnation = 1;
  std::filesystem::path dir;  // its log.dirs (survives crashes)
  std::vector<entry> shadow;  // what the checks last saw in its log (survives crashes, like the log)
  int64_t flushed = 0;        // log end at the last fsync (options::follower_power_loss)
  int64_t next_flush = 0;
  int64_t verified = 0;       // entries below this were compared with the committed ones
  // --- process state, lost on a crash ---
  std::unique_ptr<storage::log_manager> logs;
  std::unique_ptr<replica::purgatory> waiters;
  std::unique_ptr<replica::partition_manager> manager;
  int64_t broker_epoch = -1;  // -1: not registered yet
  uint64_t register_await = 0;
  int64_t next_register = 0, next_heartbeat = 0;
  metadata_image image;
  // The fetcher: a session with the leader it follows, one request in flight.
  std::unique_ptr<replica::follower_session> session;
  broker_id following = no_leader;
  uint64_t fetch_await = 0;
  int64_t fetch_deadline = 0;  // socket timeout
  int64_t next_fetch = 0;
  std::optional<replica::follower_session::epoch_round> epoch_round;
  std::optional<replica::follower_session::fetch_round> fetch_round;
  // The ISR-change sender: one AlterPartition in flight.
  uint64_t alter_await = 0;
  std::optional<alter_partition_request> alter_sent;
  int64_t alter_deadline = 0, alter_retry_at = -1;
  std::vector<produce_wait> waits;
  // What the checks saw last (to detect changes made inside the production code).
  int64_t seen_hwm = 0;
  bool seen_leader = false;
  samsa::leader_epoch seen_epoch = -1;

  mutable std::shared_ptr<replica::partition> replica;  // the partition manager's (refreshed after each image)

  const std::shared_ptr<replica::partition>& part() const {
    if (!replica && manager) replica = manager->get(topic_name, 0);
    return replica;
  }
};

enum class ev : uint8_t { deliver, tick, ctl_tick, produce, crash, restart, pause, partition, heal, quiet };

struct event {
  int64_t time;
  uint64_t seq;
  ev kind;
  broker_id target = 0;
  uint64_t incarnation = 0;
  std::shared_ptr<const message> msg{};
  bool operator>(const event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

class simulation {
 public:
  simulation(const options& opt, std::filesystem::path root);
  ~simulation();
  outcome run();

 private:
  // ---- world (replication_sim.cc) ----
  static controller_config make_config(const options& opt, rng& r);
  void setup();
  void schedule(int64_t at, ev k, broker_id target = 0, std::shared_ptr<const message> m = {}, uint64_t inc = 0);
  void trace(const std::string& s);
  void fail(const std::string& what);
  bool connected(broker_id a, broker_id b) const;
  void send(message m);
  message reply(const message& req, mk kind) const;
  void handle(const event& e);
  void on_fault_event(const event& e);
  void partition();
  void deliver(const event& e);
  void commit(const std::vector<metadata_record>& records);
  const partition_state* ctl_state() const { return img_.partition(topic_, 0); }
  void on_controller_request(const message& m);
  void produce();
  broker_id random_broker() { return static_cast<int32_t>(1 + rng_.below(static_cast<uint64_t>(n_))); }

  // ---- brokers: the production replica layer and its glue (replication_sim_broker.cc) ----
  void start_process(broker& b);
  void tick(broker& b);
  void crash(broker& b);
  void restart(broker& b);
  void on_register_response(broker& b, const message& m);
  void on_heartbeat_response(broker& b, const message& m);
  void follow(broker& b, const std::shared_ptr<replica::partition>& p, broker_id leader);
  void unfollow(broker& b);
  void maybe_change_isr(broker& b);
  void send_alter(broker& b, const alter_partition_request& req);
  void on_alter_response(broker& b, const message& m);
  void on_fetch(broker& b, const message& m);
  void on_epoch_request(broker& b, const message& m);
  void on_produce(broker& b, const message& m);
  void check_waits(broker& b);
  void fetch_step(broker& b);
  void on_epoch_response(broker& b, const message& m);
  void on_fetch_response(broker& b, const message& m);

  // ---- invariants (replication_sim_checks.cc) ----
  void observe(broker& b);
  void observe_log(broker& b, const replica::partition& p);
  void on_truncated(broker& b, int64_t from, int64_t to);
  void on_appended(broker& b, const entry& e);
  void on_hwm(broker& b, int64_t hwm, bool leading, samsa::leader_epoch epoch);
  void on_become_leader(broker& b, samsa::leader_epoch epoch);
  bool is_current_leader(const broker& b) const;
  void on_acked(broker& b, int64_t offset, uint64_t payload);
  void check_acked_in(const broker& b, const std::string& who);
  void check_every_event();
  void check_converged();

  options opt_;
  std::filesystem::path root_;
  rng rng_;
  controller ctl_;
  metadata_image img_;
  uuid topic_{};
  outcome out_;
  int32_t n_ = 3;
  double drop_ = 0, dup_ = 0, kill_leader_ = 0, alter_loss_ = 0;
  int64_t max_delay_ = 1, heartbeat_every_ = 30, lag_max_ = 200, max_fetch_ = 4, fetch_wait_ = 20;
  int64_t flush_every_ = 0;
  int64_t crash_every_ = 1000, restart_max_ = 300, pause_every_ = 1000, partition_every_ = 1000, produce_gap_ = 10;
  uint64_t segment_bytes_ = 1 << 20;
  std::map<broker_id, broker> brokers_;
  std::set<std::pair<broker_id, broker_id>> cut_;
  std::priority_queue<event, std::vector<event>, std::greater<>> queue_;
  uint64_t seq_ = 0, next_id_ = 1, next_payload_ = 1;
  int64_t now_ = 0;
  bool quiet_ = false;
  broker_id client_leader_ = no_leader;
  int64_t client_refresh_ = 0;
  std::map<int64_t, uint64_t> acked_;     // offset -> payload of every acknowledged write
  std::map<int64_t, entry> committed_;    // offset -> the entry every replica holds there below its HWM
  std::map<samsa::leader_epoch, broker_id> leaders_;  // leader epoch -> the broker that took it up
  std::map<samsa::leader_epoch, int64_t> leader_hwm_; // leader epoch -> highest HWM the leader published
};

// The entries of `log` in [from, to) (one record per batch, the payload in its value).
std::vector<entry> read_entries(const storage::partition_log& log, int64_t from, int64_t to);
// A batch of one record carrying `payload`, as a producer sends it.
std::vector<uint8_t> make_batch(uint64_t payload, int64_t timestamp);

}  // namespace samsa::cluster::sim
