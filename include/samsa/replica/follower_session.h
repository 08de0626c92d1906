#pragma once
// follower_session: the follower side of replication for the partitions one replica fetcher copies from one leader
// (Kafka's AbstractFetcherThread state, without the thread). It knows which partitions must first truncate to
// where their log agrees with the leader's, which are backing off after an error, builds the next request to send
// and applies its answer to the partitions. No I/O and no clock: the replica fetcher (replica_fetcher.h) sends what
// it builds over the Kafka protocol; the replication simulator sends it over its simulated network.
//
//  * A partition (re)assigned here first asks OffsetForLeaderEpoch v3 with its latest epoch and truncates
//    (partition::truncate_to_leader, KIP-101/KIP-279), in as many rounds as that takes;
//  * then Fetch v11 with replica_id = this broker, fetch_offset = its log end offset, current_leader_epoch = the
//    image's; the records are appended with their offsets and epochs (partition::append_fetched);
//  * a partition error (a leader that has not seen the new epoch yet, a fenced epoch) backs the partition off
//    briefly; the metadata image eventually moves it to the right leader. OFFSET_OUT_OF_RANGE truncates again,
//    unless the follower is below the leader's log start (it then waits replica.fetch.backoff.ms).
// An answer about an assignment that changed since the request was built (a generation) is ignored.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "samsa/protocol/messages/fetch.h"
#include "samsa/protocol/messages/offset_for_leader_epoch.h"
#include "samsa/replica/partition.h"

namespace samsa::replica {

struct follower_settings {
  broker_id self = 1;
  int32_t max_wait_ms = 500;                 // replica.fetch.wait.max.ms
  int32_t min_bytes = 1;                     // replica.fetch.min.bytes
  int32_t partition_max_bytes = 1048576;     // replica.fetch.max.bytes
  int32_t response_max_bytes = 10485760;     // replica.fetch.response.max.bytes
  int64_t fetch_backoff_ms = 1000;           // replica.fetch.backoff.ms
  int64_t partition_error_backoff_ms = 100;
};

class follower_session {
 public:
  using key = std::pair<std::string, partition_index>;
  using generations = std::map<key, uint64_t>;

  explicit follower_session(follower_settings s) : s_(s) {}

  // Starts (or restarts) copying `p`: truncation first.
  void assign(std::shared_ptr<partition> p);
  void unassign(const std::string& topic, partition_index index);
  bool empty() const noexcept { return parts_.empty(); }
  size_t size() const noexcept { return parts_.size(); }

  // The truncation round to send now; nullopt when no partition needs one.
  struct epoch_round {
    protocol::OffsetForLeaderEpochRequest request;
    generations asked;
  };
  std::optional<epoch_round> truncation_request(int64_t now_ms);
  void on_truncation_response(const epoch_round& round, const protocol::OffsetForLeaderEpochResponse& resp,
                              int64_t now_ms);

  // The fetch to send now; nullopt when every partition is truncating, backing off or held back (throttled).
  struct fetch_round {
    protocol::FetchRequest request;
    generations asked;
  };
  std::optional<fetch_round> fetch_request(int64_t now_ms, const std::function<bool(const partition&)>& hold_back);
  // `received(p, bytes)` is told the record bytes that arrived for each partition (follower throttling).
  void on_fetch_response(const fetch_round& round, const protocol::FetchResponse& resp, int64_t now_ms,
                         const std::function<void(const partition&, size_t)>& received);

 private:
  struct assignment {
    std::shared_ptr<partition> p;
    uint64_t generation = 0;
    bool truncate = true;
    int64_t backoff_until_ms = 0;
  };
  // The assignment an answer is about, when it is still the one asked (same generation) and still a follower.
  assignment* answered(const generations& asked, const std::string& topic, partition_index index);
  void on_partition_fetched(assignment& a, const protocol::FetchResponse::FetchableTopicResponse::PartitionData& rp, int64_t now_ms,
                            const std::function<void(const partition&, size_t)>& received);

  follower_settings s_;
  std::map<key, assignment> parts_;
  uint64_t next_generation_ = 1;
};

}  // namespace samsa::replica
