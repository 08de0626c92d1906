#pragma once
// The ISR-change sender: asks the active controller (AlterPartition) for the ISR changes that partitions led here
// want, and keeps asking while the outcome is unknown (KIP-841). What is wanted and what an answer means are the
// partition's rules (partition::next_isr_change, partition::on_isr_change_response); this is only their I/O.
//
// Nothing on the request path sends: a follower's fetch or a metadata image only *schedules* a check of the
// partition (check()), which runs later on the executor; every replica.lag.time.max.ms / 2 all led partitions
// are checked (an ISR member that stopped fetching is dropped that way).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "samsa/cluster/controller.h"

namespace samsa::replica {

class partition;
class partition_manager;

class isr_sender {
 public:
  using transport =
      std::function<boost::asio::awaitable<cluster::alter_partition_response>(cluster::alter_partition_request)>;

  isr_sender(boost::asio::any_io_executor ex, partition_manager& manager, transport send,
             std::function<int64_t()> broker_epoch, int64_t lag_time_max_ms);
  ~isr_sender();

  // Schedules a check of `p`: the ISR change it wants, if any, is sent from the executor, not from the caller.
  void check(const std::shared_ptr<partition>& p);
  // Starts the periodic check of every partition led here.
  void start();
  void stop();

 private:
  void send_if_wanted(const std::shared_ptr<partition>& p);

  boost::asio::any_io_executor ex_;
  partition_manager& manager_;
  transport send_;
  std::function<int64_t()> broker_epoch_;
  int64_t lag_time_max_ms_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace samsa::replica
