#pragma once
// The follower side's I/O: replica fetchers that copy the partitions this broker follows from their leaders.
//
// One fetcher per (leader broker, fetcher index) — num.replica.fetchers of them per leader, a partition going to
// index hash(topic, partition) % n — each a coroutine with one client::connection to the leader's first
// registered listener. What it asks and what it does with the answers is its follower_session's (the rules live
// there, I/O-free, so that the replication simulator runs them too). Connection errors back off
// replica.fetch.backoff.ms.
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "samsa/cluster/image.h"
#include "samsa/replica/follower_session.h"

namespace samsa::replica {

class partition_manager;

struct fetcher_options {
  follower_settings session;
  int32_t num_fetchers = 1;         // num.replica.fetchers (per source broker)
  int32_t socket_timeout_ms = 30000;  // replica.socket.timeout.ms
};

class replica_fetchers {
 public:
  replica_fetchers(boost::asio::any_io_executor ex, fetcher_options opt, partition_manager& manager,
                   std::function<const cluster::metadata_image&()> image);
  ~replica_fetchers();

  // Follows `p` from `leader` (truncating first), replacing any previous assignment of the partition.
  void follow(const std::shared_ptr<partition>& p, broker_id leader);
  // Stops following the partition (this broker leads it now, or it was removed).
  void unfollow(const std::string& topic, partition_index index);
  void stop();

  struct fetcher;

 private:
  boost::asio::any_io_executor ex_;
  fetcher_options opt_;
  partition_manager& manager_;
  std::function<const cluster::metadata_image&()> image_;
  std::map<std::pair<broker_id, int32_t>, std::shared_ptr<fetcher>> fetchers_;  // (leader, index)
  std::map<std::pair<std::string, partition_index>, std::pair<broker_id, int32_t>> assigned_;  // partition -> fetcher key
  bool stopped_ = false;
};

}  // namespace samsa::replica
