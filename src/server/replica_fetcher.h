#pragma once
// Follower side of replication: fetchers that copy the partitions this broker follows from their leaders.
//
// One fetcher per (leader broker, fetcher index) — num.replica.fetchers of them per leader, a partition going to
// index hash(topic, partition) % n — each a coroutine on the broker's io thread with one TCP connection to the
// leader's client listener. It speaks the Kafka protocol a Java broker's follower speaks:
//  * on (re)assignment, OffsetForLeaderEpoch v3 with the follower's latest epoch, then truncation to where the
//    logs agree (KIP-101/KIP-279: min of the leader's end offset for that epoch and our own end offset for it);
//  * then Fetch v11 with replica_id = this broker, fetch_offset = our log end offset, current_leader_epoch = the
//    image's; batches are CRC-checked and appended with their offsets and epochs (partition_log::append_replicated);
//    the high watermark is the leader's, capped at our log end offset.
// Partition errors (a leader that has not seen the new epoch yet, a fenced epoch) back the partition off briefly;
// the metadata image eventually moves it to the right leader. Connection errors back off replica.fetch.backoff.ms.
#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace samsa::server {

class broker;
struct partition;

class replica_fetchers {
 public:
  explicit replica_fetchers(broker& b);
  ~replica_fetchers();

  // Follows `p` from `leader` (truncating first), replacing any previous assignment of the partition.
  void follow(const std::shared_ptr<partition>& p, int32_t leader);
  // Stops following the partition (this broker leads it now, or it was removed).
  void unfollow(const std::string& topic, int32_t index);
  void stop();

  struct fetcher;

 private:
  broker& b_;
  std::map<std::pair<int32_t, int32_t>, std::shared_ptr<fetcher>> fetchers_;  // (leader, index)
  std::map<std::pair<std::string, int32_t>, std::pair<int32_t, int32_t>> assigned_;  // partition -> fetcher key
  bool stopped_ = false;
};

}  // namespace samsa::server
