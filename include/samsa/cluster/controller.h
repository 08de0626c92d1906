#pragma once
// The controller: Kafka's admin and broker-lifecycle rules as a pure state machine over a metadata_image. Each
// command validates a request against the image and returns the response plus the records to propose to Raft
// (controller_result). It performs no I/O and reads no clock: time is an argument.
//
// Contract with the caller (the active controller's shell):
//  * pass the *latest* image: the committed image with this controller's own proposed-but-uncommitted batches
//    applied (as KRaft's active controller does), so that back-to-back commands see each other's effects;
//  * propose each non-empty `records` vector as ONE raft entry (encode_batch): a command's records apply atomically;
//  * on losing leadership drop the pending image; on becoming the active controller call reset_sessions().
//
// Soft state (not in the log): the time of each broker's last heartbeat, the offset a broker must reach to count as
// caught up, and a PRNG (topic ids, cluster id). Only the records are replicated; a new active controller starts
// every registered broker with a fresh session.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "samsa/cluster/image.h"

namespace samsa::cluster {

struct controller_config {
  int64_t broker_session_timeout_ms = 9000;   // broker.session.timeout.ms
  int32_t default_num_partitions = 1;         // num.partitions
  int16_t default_replication_factor = 1;     // default.replication.factor
  bool delete_topic_enable = true;            // delete.topic.enable
  bool unclean_leader_election_enable = false;  // unclean.leader.election.enable (cluster default)
  int64_t producer_id_block_size = 1000;
  // Preferred-leader rebalancing (Kafka's keys). Every check interval the active controller computes, per broker,
  // the share of the partitions it is the preferred replica of that it does not lead; above the percentage it
  // moves those partitions' leadership back to it (a preferred election) where it is unfenced and in the ISR.
  bool auto_leader_rebalance_enable = true;        // auto.leader.rebalance.enable
  int64_t leader_imbalance_check_interval_ms = 300000;  // leader.imbalance.check.interval.seconds * 1000
  int32_t leader_imbalance_per_broker_percentage = 10;  // leader.imbalance.per.broker.percentage
  // Samsa limit (no Kafka key): partitions of one topic, so that one request cannot make the controller allocate
  // without bound. More is INVALID_PARTITIONS.
  int32_t max_partitions_per_topic = 100000;
  uint64_t seed = 0;                          // replica-placement start, topic ids, cluster id
};

template <typename T>
struct controller_result {
  T response{};
  std::vector<metadata_record> records{};
};

// --- requests and responses -----------------------------------------------------------------------------------

struct create_topic_request {
  std::string name;
  int32_t num_partitions = -1;        // -1: default
  int16_t replication_factor = -1;    // -1: default
  std::map<partition_id, std::vector<broker_id>> assignments{};  // manual assignment (then both above must be -1)
  std::vector<std::pair<std::string, std::optional<std::string>>> configs{};
};
struct create_topic_result {
  std::string name;
  api_error error{};
  uuid topic_id{};
  int32_t num_partitions = -1;
  int16_t replication_factor = -1;
};

struct create_partitions_request {
  std::string name;
  int32_t count = 0;  // the new total
  std::vector<std::vector<broker_id>> assignments{};  // optional: replicas of each new partition
};
struct topic_result {
  std::string name;
  uuid topic_id{};
  api_error error{};
};

struct delete_topic_request {
  std::string name;  // or
  uuid topic_id{};   // (when name is empty)
};

enum class alter_op : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };  // Kafka's OpType ids
struct alter_config_op {
  std::string key;
  alter_op op = alter_op::set;
  std::optional<std::string> value{};
};
struct incremental_alter_request {
  resource_type type = resource_type::topic;
  std::string name;
  std::vector<alter_config_op> ops{};
};
struct legacy_alter_request {  // AlterConfigs: replaces the whole set of explicit configs of the resource
  resource_type type = resource_type::topic;
  std::string name;
  std::vector<std::pair<std::string, std::string>> configs{};
};
struct resource_result {
  resource_type type = resource_type::topic;
  std::string name;
  api_error error{};
};

struct broker_registration_request {
  broker_id id = 0;
  uuid incarnation_id{};
  std::vector<endpoint> endpoints{};
  std::optional<std::string> rack{};
};
struct broker_registration_response {
  api_error error{};
  int64_t broker_epoch = -1;
};

struct broker_heartbeat_request {
  broker_id id = 0;
  int64_t broker_epoch = -1;
  int64_t current_metadata_offset = -1;
  bool want_fence = false;
  bool want_shutdown = false;
};
struct broker_heartbeat_response {
  api_error error{};
  bool is_caught_up = false;
  bool is_fenced = true;
  bool should_shutdown = false;
};

struct alter_partition_request {  // the partition leader asks to change the ISR
  broker_id broker = 0;
  int64_t broker_epoch = -1;
  uuid topic_id{};
  partition_id partition = 0;
  samsa::leader_epoch leader_epoch = 0;
  int32_t partition_epoch = 0;
  std::vector<broker_id> new_isr{};
};
struct alter_partition_response {
  api_error error{};
  partition_state state{};  // the resulting (or current, on error) state
};

enum class election_type : int8_t { preferred = 0, unclean = 1 };  // Kafka's ElectionType ids
struct topic_partition {
  std::string topic;
  partition_id partition = 0;
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};
struct election_result {
  topic_partition tp{};
  api_error error{};
};

// Preferred-leader balance of one broker: of the partitions whose preferred replica (first in the replica list)
// it is, how many it does not lead.
struct broker_leader_imbalance {
  broker_id broker = 0;
  int32_t preferred = 0;
  int32_t not_leading = 0;
  bool over_threshold = false;  // not_leading / preferred > percentage / 100 (Kafka's strict comparison)
  friend bool operator==(const broker_leader_imbalance&, const broker_leader_imbalance&) = default;
};
struct leader_imbalance {
  std::vector<broker_leader_imbalance> brokers{};  // every broker that is some partition's preferred replica, by id
  // Partitions of the brokers over the threshold that a preferred election can move now: the preferred replica
  // does not lead, is registered and unfenced, and is in the ISR. In (topic, partition) order.
  std::vector<topic_partition> candidates{};
};
// Pure: computes the balance of every broker on `img` against leader.imbalance.per.broker.percentage.
leader_imbalance compute_leader_imbalance(const metadata_image& img, int32_t per_broker_percentage);

struct rebalance_result {
  bool checked = false;  // false: disabled or not due yet (nothing else is set)
  leader_imbalance imbalance{};
  std::vector<election_result> elections{};  // one per candidate
};

// AlterPartitionReassignments: target replicas of one partition, or nullopt to cancel its reassignment.
struct reassignment_request {
  std::string topic;
  partition_id partition = 0;
  std::optional<std::vector<broker_id>> replicas{};
};
struct reassignment_result {
  topic_partition tp{};
  api_error error{};
};
// ListPartitionReassignments: one ongoing reassignment.
struct ongoing_reassignment {
  topic_partition tp{};
  std::vector<broker_id> replicas{}, adding{}, removing{};
};

struct producer_ids_response {
  api_error error{};
  int64_t first_producer_id = -1;
  int64_t count = 0;
};

// --- the controller -----------------------------------------------------------------------------------------------

class controller {
 public:
  explicit controller(controller_config cfg);
  const controller_config& config() const noexcept { return cfg_; }

  // The bootstrap record (with a generated cluster id unless one is given) when the image has no cluster id yet.
  controller_result<std::string> bootstrap(const metadata_image& img, std::optional<std::string> cluster_id = {});

  controller_result<std::vector<create_topic_result>> create_topics(const metadata_image& img,
                                                                    const std::vector<create_topic_request>& reqs,
                                                                    bool validate_only = false);
  controller_result<std::vector<topic_result>> create_partitions(const metadata_image& img,
                                                                 const std::vector<create_partitions_request>& reqs,
                                                                 bool validate_only = false);
  controller_result<std::vector<topic_result>> delete_topics(const metadata_image& img,
                                                             const std::vector<delete_topic_request>& reqs);
  controller_result<std::vector<resource_result>> incremental_alter_configs(
      const metadata_image& img, const std::vector<incremental_alter_request>& reqs, bool validate_only = false);
  controller_result<std::vector<resource_result>> legacy_alter_configs(const metadata_image& img,
                                                                       const std::vector<legacy_alter_request>& reqs,
                                                                       bool validate_only = false);

  controller_result<broker_registration_response> register_broker(const metadata_image& img,
                                                                   const broker_registration_request& req,
                                                                   int64_t now_ms);
  controller_result<broker_heartbeat_response> heartbeat(const metadata_image& img,
                                                         const broker_heartbeat_request& req, int64_t now_ms);
  // Fences every unfenced broker whose last heartbeat is older than broker.session.timeout.ms, moving leadership
  // away from it. Returns the fenced broker ids.
  controller_result<std::vector<broker_id>> tick(const metadata_image& img, int64_t now_ms);
  // Gives every registered broker a fresh session starting at now_ms (call on becoming the active controller).
  void reset_sessions(const metadata_image& img, int64_t now_ms);
  // Forgets a broker's session: its next registration is not refused as a duplicate. For a broker known to be gone
  // (the broker of this very controller process re-registering after a restart).
  void expire_session(broker_id id) { last_contact_ms_.erase(id); }

  controller_result<alter_partition_response> alter_partition(const metadata_image& img,
                                                               const alter_partition_request& req);
  // nullopt partitions: every partition of every topic; as in Kafka, every partition is reported except those
  // answering ELECTION_NOT_NEEDED.
  controller_result<std::vector<election_result>> elect_leaders(
      const metadata_image& img, election_type type, const std::optional<std::vector<topic_partition>>& partitions);

  // The periodic preferred-leader rebalance (auto.leader.rebalance.enable). Due once
  // leader.imbalance.check.interval has passed since the previous check (or since reset_sessions(), i.e. since this
  // controller became active); then computes the imbalance and runs a preferred election on the candidates.
  // Call as often as convenient: when not due it returns at once with checked == false and no records.
  controller_result<rebalance_result> rebalance_leaders(const metadata_image& img, int64_t now_ms);

  // KIP-455: a new target replica set is added to the partition's replicas at once (adding / removing remembered in
  // the image); the new replicas fetch and join the ISR; once every target replica is in the ISR (checked on every
  // ISR change, alter_partition) the partition drops the removed replicas, electing a new leader from the target if
  // the old one is removed. A nullopt target cancels: back to the original replicas.
  controller_result<std::vector<reassignment_result>> alter_partition_reassignments(
      const metadata_image& img, const std::vector<reassignment_request>& reqs);

  controller_result<producer_ids_response> allocate_producer_ids(const metadata_image& img, broker_id broker,
                                                                 int64_t broker_epoch);

  // Whether unclean election is allowed for a topic: its config, else the cluster default.
  bool unclean_allowed(const metadata_image& img, const std::string& topic) const;

 private:
  uuid new_topic_id(const metadata_image& img, const std::vector<metadata_record>& pending);
  void fence_consequences(const metadata_image& img, broker_id b, std::vector<metadata_record>& out) const;
  void unfence_consequences(const metadata_image& img, broker_id b, std::vector<metadata_record>& out) const;

  controller_config cfg_;
  uint64_t rng_;
  std::map<broker_id, int64_t> last_contact_ms_;
  std::map<broker_id, int64_t> caught_up_offset_;
  int64_t next_rebalance_ms_ = -1;  // -1: not scheduled yet (the first call schedules one interval ahead)
};

// Ongoing reassignments in the image, all of them or only those of `partitions`.
std::vector<ongoing_reassignment> list_reassignments(const metadata_image& img,
                                                     const std::optional<std::vector<topic_partition>>& partitions);

// The record completing a reassignment in progress once every target replica is in `isr` (the ISR about to be
// committed), nullopt otherwise. Replicas become the target, the ISR its members, and the leader stays unless it
// is removed (then the first target replica in the ISR, at leader epoch + 1).
std::optional<partition_reassignment_record> complete_reassignment(const uuid& topic, partition_id p,
                                                                   const partition_state& cur,
                                                                   const std::vector<broker_id>& isr);

// Replica placement (Kafka's AdminUtils.assignReplicasToBrokers): round-robin over `brokers` from a start index and
// replica shift derived from `seed`, rack-aware (racks alternate in the broker order, each partition's replicas on
// distinct racks as far as possible) when every broker has a rack. Partitions [first_partition, first_partition +
// count). REQUIRES: 0 < replication_factor <= brokers.size().
struct placement_broker {
  broker_id id = 0;
  std::optional<std::string> rack{};
};
std::vector<std::vector<broker_id>> place_replicas(std::vector<placement_broker> brokers, int32_t first_partition,
                                                   int32_t count, int32_t replication_factor, uint64_t seed);

}  // namespace samsa::cluster
