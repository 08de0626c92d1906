#include "samsa/server/broker.h"

#include <algorithm>
#include <cctype>

#include "admin_client.h"
#include "group_host.h"
#include "producer_ids.h"
#include "samsa/base/steady_clock.h"
#include "samsa/cluster/broker_lifecycle.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/replica/isr_sender.h"
#include "samsa/replica/partition_manager.h"
#include "samsa/replica/purgatory.h"
#include "samsa/replica/replica_fetcher.h"
#include "samsa/server/topic_config.h"

namespace samsa::server {

bool valid_topic_name(const std::string& name) noexcept {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

const cluster::metadata_image& services::image() const { return controller.image(); }

bool services::partition_exists(const std::string& topic, partition_index index) const {
  const auto* t = image().topic(topic);
  return t != nullptr && t->partitions.count(index) > 0;
}

namespace {

replica::fetcher_options fetcher_options_of(const broker_config& c) {
  const auto& r = c.replication;
  replica::fetcher_options o;
  o.session.self = c.node_id;
  o.session.max_wait_ms = r.fetch_wait_max_ms;
  o.session.min_bytes = r.fetch_min_bytes;
  o.session.partition_max_bytes = r.fetch_max_bytes;
  o.session.response_max_bytes = r.fetch_response_max_bytes;
  o.session.fetch_backoff_ms = r.fetch_backoff_ms;
  o.num_fetchers = r.num_replica_fetchers;
  o.socket_timeout_ms = r.socket_timeout_ms;
  return o;
}

}  // namespace

broker::broker(boost::asio::any_io_executor ex, broker_config config, storage::log_manager& logs,
               cluster::controller_node& controller)
    : ex_(std::move(ex)), config_(std::move(config)), controller_(controller) {
  purgatory_ = std::make_unique<replica::purgatory>();
  admin_ = std::make_unique<admin_client>(ex_, config_, controller_);
  producer_ids_ = std::make_unique<producer_id_allocator>(controller_);

  replica::topic_settings settings;
  settings.log_config = [this](const cluster::config_map& o) { return effective_log_config(config_, o); };
  settings.limits = [this](const cluster::config_map& o) {
    return replica::partition_limits{effective_max_message_bytes(config_, o), effective_min_insync_replicas(config_, o),
                                     effective_record_rules(config_, o)};
  };
  replica::manager_hooks hooks;
  hooks.follow = [this](const std::shared_ptr<replica::partition>& p, cluster::broker_id leader) {
    fetchers_->follow(p, leader);
  };
  hooks.unfollow = [this](const replica::partition& p) { fetchers_->unfollow(p.topic(), p.index()); };
  hooks.check_isr = [this](const std::shared_ptr<replica::partition>& p) { isr_->check(p); };
  hooks.leadership = [this](const std::string& topic, samsa::partition_index index, samsa::leader_epoch epoch, bool leader) {
    groups_->on_leadership(topic, index, epoch, leader);
  };
  hooks.lease_valid = [this] { return controller_.broker().lease_valid(); };
  replica::manager_options mo;
  mo.self = config_.node_id;
  mo.leader_throttled_rate = config_.replication.leader_throttled_rate;
  mo.follower_throttled_rate = config_.replication.follower_throttled_rate;
  partitions_ = std::make_unique<replica::partition_manager>(mo, logs, *purgatory_, std::move(settings),
                                                             std::move(hooks));
  fetchers_ = std::make_unique<replica::replica_fetchers>(ex_, fetcher_options_of(config_), *partitions_,
                                                          [this]() -> const cluster::metadata_image& {
                                                            return controller_.image();
                                                          });
  isr_ = std::make_unique<replica::isr_sender>(
      ex_, *partitions_,
      [this](cluster::alter_partition_request req) { return controller_.broker().alter_partition(std::move(req)); },
      [this] { return controller_.broker().broker_epoch(); }, config_.replication.lag_time_max_ms);
  groups_ = std::make_unique<group_host>(ex_, config_, *partitions_, *admin_, controller_);
  services_.reset(new services{ex_, config_, *partitions_, *isr_, controller_, groups_->coordinator(), *groups_,
                               *admin_, *producer_ids_});
}

broker::~broker() { close(); }

void broker::start_metadata() {
  isr_->start();
  controller_.on_image([this](const cluster::metadata_image& before, const cluster::metadata_image& after) {
    partitions_->apply(before, after, steady_ms());
  });
  partitions_->apply(cluster::metadata_image{}, controller_.image(), steady_ms());
}

void broker::remove_stray_logs() { partitions_->remove_stray_logs(controller_.image()); }

void broker::start_groups() { groups_->start(); }

void broker::close() {
  if (groups_) groups_->stop();
  if (isr_) isr_->stop();
  if (fetchers_) fetchers_->stop();
}

}  // namespace samsa::server
