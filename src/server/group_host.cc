#include "group_host.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin_client.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/group/offsets_format.h"
#include "samsa/replica/delayed.h"
#include "samsa/replica/partition_manager.h"
#include "samsa/server/kafka_error.h"

namespace samsa::server {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> replicated_then(replica::purgatory& q, std::shared_ptr<replica::partition> p, samsa::leader_epoch epoch,
                                      int64_t end, std::chrono::steady_clock::time_point deadline,
                                      std::function<void(protocol::kafka_errc)> done) {
  const auto e = co_await replica::await_replication(q, std::move(p), epoch, end, deadline);
  done(e);
}

asio::awaitable<void> ticker(group::coordinator& c, asio::steady_timer& t) {
  for (;;) {
    t.expires_after(std::chrono::milliseconds(100));
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    c.tick();
  }
}

}  // namespace

// The coordinator's view of __consumer_offsets.
class group_host::backend final : public group::offsets_backend {
 public:
  backend(asio::any_io_executor ex, const broker_config& config, replica::partition_manager& partitions,
          admin_client& admin, const cluster::controller_node& controller)
      : ex_(std::move(ex)), config_(config), partitions_(partitions), admin_(admin), controller_(controller) {}

  int32_t offsets_partition_count() override {
    const auto* t = controller_.image().topic(group::offsets_topic);
    return t ? static_cast<int32_t>(t->partitions.size()) : 0;
  }
  std::shared_ptr<storage::partition_log> offsets_partition(int32_t p) override {
    auto part = partitions_.get(group::offsets_topic, p);
    return part ? part->shared_log() : nullptr;
  }
  appended append(int32_t p, std::span<uint8_t> batch, int32_t leader_epoch) override {
    auto part = partitions_.get(group::offsets_topic, p);
    if (!part) return {kafka_error::not_leader_or_follower, -1};
    const auto r = part->append_internal(batch, leader_epoch);
    if (r.error != kafka_error::none) return {r.error, -1};
    partitions_.notify(*part);  // waiting followers' fetches and commits
    return {kafka_error::none, r.last_offset};
  }
  void create_offsets_topic(int32_t) override {
    // Asynchronous (through the controller): the coordinator answers COORDINATOR_NOT_AVAILABLE meanwhile and
    // learns the partitions it leads from the leadership hook.
    admin_.request_topic_creation(admin_.offsets_topic_request());
  }
  void post(std::function<void()> fn) override { asio::post(ex_, std::move(fn)); }
  // The durability seam (offset commits, group and offset tombstones): the local log's group-commit fsync, then the
  // high watermark (every in-sync replica has the records), as for acks=all, within offsets.commit.timeout.ms.
  void when_committed(int32_t p, int64_t end_offset, std::function<void(protocol::kafka_errc)> done) override {
    auto part = partitions_.get(group::offsets_topic, p);
    if (!part || !part->is_leader()) {
      asio::post(ex_, [done = std::move(done)] { done(kafka_error::not_leader_or_follower); });
      return;
    }
    const auto epoch = part->leader_epoch();
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.group.offsets_commit_timeout_ms);
    auto ex = ex_;
    auto* q = &partitions_.waiters();
    part->flush([ex, q, part, epoch, end_offset, deadline, done = std::move(done)](std::error_code ec) mutable {
      // On a flusher thread: hop back to the partitions' thread.
      asio::post(ex, [ex, q, part, epoch, end_offset, deadline, ec, done = std::move(done)]() mutable {
        if (ec) {
          done(kafka_error::kafka_storage_error);
          return;
        }
        asio::co_spawn(ex, replicated_then(*q, part, epoch, end_offset, deadline, std::move(done)), asio::detached);
      });
    });
  }

 private:
  asio::any_io_executor ex_;
  const broker_config& config_;
  replica::partition_manager& partitions_;
  admin_client& admin_;
  const cluster::controller_node& controller_;
};

group_host::group_host(asio::any_io_executor ex, const broker_config& config, replica::partition_manager& partitions,
                       admin_client& admin, const cluster::controller_node& controller)
    : ex_(ex), partitions_(partitions) {
  backend_ = std::make_unique<backend>(ex, config, partitions, admin, controller);
  coordinator_ = std::make_unique<group::coordinator>(config.group, *backend_);
}

group_host::~group_host() { stop(); }

void group_host::start() {
  started_ = true;
  // The __consumer_offsets partitions this broker leads now: load them (later changes come through on_leadership).
  auto it = partitions_.all().find(group::offsets_topic);
  if (it != partitions_.all().end()) {
    for (const auto& p : it->second)
      if (p && p->is_leader()) coordinator_->become_leader(p->index().value(), p->leader_epoch().value());
  }
  timer_ = std::make_unique<asio::steady_timer>(ex_);
  asio::co_spawn(ex_, ticker(*coordinator_, *timer_), asio::detached);
}

void group_host::stop() {
  if (timer_) timer_->cancel();
}

void group_host::on_leadership(const std::string& topic, samsa::partition_index index, samsa::leader_epoch epoch, bool leader) {
  if (!started_ || topic != group::offsets_topic) return;
  if (leader) coordinator_->become_leader(index.value(), epoch.value());
  else coordinator_->resign(index.value());  // now a follower, or removed
}

}  // namespace samsa::server
