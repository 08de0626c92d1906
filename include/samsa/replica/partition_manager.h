#pragma once
// partition_manager: the registry of this broker's replicas, reconciled with every metadata image (Kafka's
// ReplicaManager.applyDelta). The truth is the image of the controller quorum: the manager creates the logs of
// partitions assigned here, makes each replica leader or follower at the image's leader epoch, applies topic
// configs, and removes the logs of replicas the image no longer assigns here.
//
// It does no network I/O: following a leader, sending an ISR change and hosting group coordinators are the hooks'
// (the replica fetcher, the ISR-change sender and the group host in samsad; the replication simulator's own
// transport in tests). Single-threaded, like the partitions it owns.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "samsa/cluster/image.h"
#include "samsa/cluster/local_changes.h"
#include "samsa/replica/partition.h"
#include "samsa/replica/purgatory.h"
#include "samsa/replica/replication_quota.h"
#include "samsa/storage/log_config.h"

namespace samsa::storage {
class log_manager;
}

namespace samsa::replica {

struct manager_hooks {
  // Copy `p` from `leader` (truncating first), replacing any earlier assignment; stop copying it.
  std::function<void(const std::shared_ptr<partition>&, broker_id leader)> follow;
  std::function<void(const partition&)> unfollow;
  // `p` is led here and may want an ISR change: the ISR-change sender asks it (partition::next_isr_change).
  std::function<void(const std::shared_ptr<partition>&)> check_isr;
  // This broker took up (leader = true, at `leader_epoch`) or gave up (leader = false: now a follower, or the
  // replica was removed) the leadership of a partition; called after the whole image is applied.
  std::function<void(const std::string& topic, partition_index index, samsa::leader_epoch epoch, bool leader)> leadership;
  // Whether this broker's controller session is surely alive (see cluster::broker_lifecycle::lease_valid); a broker
  // cut off from the controller stops serving as leader. Default: always.
  std::function<bool()> lease_valid;
};

// How the topic configs of the image become a log config and partition limits (broker defaults + overrides).
struct topic_settings {
  std::function<storage::log_config(const cluster::config_map&)> log_config;
  std::function<partition_limits(const cluster::config_map&)> limits;
};

struct manager_options {
  broker_id self = 1;
  int64_t leader_throttled_rate = INT64_MAX;    // leader.replication.throttled.rate
  int64_t follower_throttled_rate = INT64_MAX;  // follower.replication.throttled.rate
};

// A partition looked up for serving as leader, or why not.
struct leader_lookup {
  std::shared_ptr<partition> p;
  protocol::kafka_errc error = protocol::kafka_errc::none;  // NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION when p is null
};

class partition_manager {
 public:
  partition_manager(manager_options opt, storage::log_manager& logs, purgatory& waiters, topic_settings settings,
                    manager_hooks hooks);

  // Reconciles with a new image (see the file comment). `after` must stay alive (and be the image later calls
  // see) until the next call.
  void apply(const cluster::metadata_image& before, const cluster::metadata_image& after, int64_t now_ms);
  // Removes local logs the caught-up image does not assign here (a topic deleted while the node was down).
  void remove_stray_logs(const cluster::metadata_image& img);

  std::shared_ptr<partition> get(const std::string& topic, partition_index index) const;
  // The partition when this broker leads it (and its controller session is alive), else why not: NOT_LEADER_OR_
  // FOLLOWER when it exists in the cluster, UNKNOWN_TOPIC_OR_PARTITION when not.
  leader_lookup leader(const std::string& topic, partition_index index) const;
  // Every local replica (nullptr where none), by topic then partition id.
  const std::map<std::string, std::vector<std::shared_ptr<partition>>>& all() const noexcept { return topics_; }
  // Calls fn for every partition led here.
  void for_each_leader(const std::function<void(const std::shared_ptr<partition>&)>& fn) const;

  // Wakes the waiters of `p` (appends, high-watermark advances, role changes).
  void notify(const partition& p) { waiters_.notify(&p); }
  purgatory& waiters() noexcept { return waiters_; }

  // Replication throttling (replication_quota.h): the broker's quotas, and whether the replica of `p` on
  // `replica` is throttled by the topic's leader/follower.replication.throttled.replicas and out of the ISR.
  replication_quota& leader_quota() noexcept { return leader_quota_; }
  replication_quota& follower_quota() noexcept { return follower_quota_; }
  bool throttled(const partition& p, broker_id replica, bool as_leader) const;

 private:
  void remove(const cluster::local_replica_change& ch);
  std::shared_ptr<partition> create(const cluster::local_replica_change& ch, const cluster::metadata_image& img);
  void set_role(const std::shared_ptr<partition>& p, const cluster::partition_state& s, bool new_leadership,
                int64_t now_ms);
  void apply_isr_changes(const cluster::metadata_image& after, int64_t now_ms);
  void apply_topic_configs(const cluster::metadata_image& before, const cluster::metadata_image& after);

  manager_options opt_;
  storage::log_manager& logs_;
  purgatory& waiters_;
  topic_settings settings_;
  manager_hooks hooks_;
  const cluster::metadata_image* image_ = nullptr;
  std::map<std::string, std::vector<std::shared_ptr<partition>>> topics_;
  replication_quota leader_quota_;
  replication_quota follower_quota_;
};

}  // namespace samsa::replica
