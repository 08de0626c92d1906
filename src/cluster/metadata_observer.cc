#include "samsa/cluster/metadata_observer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "node_rpc_messages.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/cluster/node_rpc.h"
#include "samsa/raft/driver.h"

namespace samsa::cluster {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr size_t max_entries_per_answer = 500;

std::string as_string(const protocol::bytes& b) { return std::string(b.begin(), b.end()); }
protocol::bytes as_bytes(const std::string& s) { return protocol::bytes(s.begin(), s.end()); }
}  // namespace

metadata_observer::metadata_observer(asio::io_context& io, controller_node& node, node_rpc& rpc)
    : io_(io), node_(node), rpc_(rpc) {
  rpc_.serve<protocol::MetadataLogFetchRequest, protocol::MetadataLogFetchResponse>(
      [this](broker_id from, protocol::MetadataLogFetchRequest q)
          -> asio::awaitable<std::optional<protocol::MetadataLogFetchResponse>> { co_return serve(from, q); });
}

metadata_observer::~metadata_observer() {
  *alive_ = false;
  stop();
}

void metadata_observer::start() {
  timer_ = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(io_, loop(), asio::detached);
}

void metadata_observer::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

std::optional<protocol::MetadataLogFetchResponse> metadata_observer::serve(broker_id from,
                                                                           const protocol::MetadataLogFetchRequest& q) {
  if (node_.is_observer()) return std::nullopt;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(q.reply_host, ec);
  if (ec || q.reply_port == 0 || q.after_index < 0) return std::nullopt;
  // The observer is no voter: tell the transport where to send our answers.
  if (!node_.options().voters.count(from))
    node_.driver_->ensure_peer(static_cast<raft::node_id>(from.value()), asio::ip::tcp::endpoint(addr, q.reply_port));
  protocol::MetadataLogFetchResponse out;
  const raft::core& core = node_.driver_->raft();
  out.leader_id = node_.leader_id();
  out.is_leader = core.role() == raft::role_kind::leader;
  if (!out.is_leader) return out;
  const raft::index_t commit = core.commit();
  out.commit_index = static_cast<int64_t>(commit);
  const auto after = static_cast<raft::index_t>(q.after_index);
  raft::index_t start = after + 1;
  const auto& snap = core.latest_snapshot();
  if (after < core.log().snapshot_index() && snap.index > 0) {
    out.snapshot.emplace();
    out.snapshot->index = static_cast<int64_t>(snap.index);
    out.snapshot->term = static_cast<int64_t>(snap.term);
    out.snapshot->data = as_bytes(snap.data);
    start = snap.index + 1;
  }
  if (start <= commit) {
    for (const auto& e : core.log().slice(start, commit, max_entries_per_answer)) {
      auto& oe = out.entries.emplace_back();
      oe.index = static_cast<int64_t>(e.index);
      oe.term = static_cast<int64_t>(e.term);
      oe.data = as_bytes(e.data);
    }
  }
  return out;
}

bool metadata_observer::apply(broker_id target, const protocol::MetadataLogFetchResponse& r) {
  if (!r.is_leader) {
    const broker_id l = r.leader_id;
    observed_leader_ = (l >= 0 && l != target && node_.options().voters.count(l)) ? l : -1;
    return false;
  }
  observed_leader_ = target;
  if (r.snapshot && r.snapshot->index > node_.image().version().offset) {
    raft::snapshot snap;
    snap.index = static_cast<raft::index_t>(r.snapshot->index);
    snap.term = static_cast<raft::term_t>(r.snapshot->term);
    snap.data = as_string(r.snapshot->data);
    node_.restore(snap);
  }
  for (const auto& e : r.entries) {
    // Raft indexes start at 1; the empty image is at -1.
    const int64_t expected = std::max<int64_t>(node_.image().version().offset, 0) + 1;
    if (e.index != expected) break;  // not contiguous: fetch again
    raft::entry entry;
    entry.index = static_cast<raft::index_t>(e.index);
    entry.term = static_cast<raft::term_t>(e.term);
    entry.data = as_string(e.data);
    node_.apply(entry);
  }
  return node_.image().version().offset >= 0 && node_.image().version().offset < r.commit_index;
}

asio::awaitable<void> metadata_observer::loop() {
  std::weak_ptr<bool> alive = alive_;
  std::vector<broker_id> voters;
  for (const auto& [id, ep] : node_.options().voters) voters.push_back(id);
  size_t next = 0;
  while (!alive.expired() && !stopped_ && !voters.empty()) {
    const broker_id target = observed_leader_ >= 0 ? observed_leader_ : voters[next++ % voters.size()];
    protocol::MetadataLogFetchRequest q;
    q.observer_id = node_.node_id();
    q.reply_host = node_.options().advertised_host;
    q.reply_port = node_.port();
    q.after_index = std::max<int64_t>(0, node_.image().version().offset);
    auto reply = co_await rpc_.call<protocol::MetadataLogFetchResponse>(target, q, metadata_fetch_version, 1s);
    if (alive.expired() || stopped_) co_return;
    if (!reply) observed_leader_ = -1;  // silent: try the next voter
    if (reply && apply(target, *reply)) continue;
    timer_->expires_after(std::max<std::chrono::milliseconds>(node_.options().tick, 50ms));
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace samsa::cluster
