#pragma once
// The asynchronous side of the purgatory (purgatory.h): coroutines that park on partitions until one of them
// changes or a deadline passes. Used by the Fetch long-poll and acks=all Produce.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "samsa/base/ids.h"
#include "samsa/protocol/kafka_error.h"
#include "samsa/replica/purgatory.h"

namespace samsa::replica {

class partition;

// Returns when one of `keys` is notified or at `deadline`, whichever comes first (callers re-check their own
// condition: a wake-up is a hint, not a promise).
boost::asio::awaitable<void> wait_for_change(purgatory& q, std::span<const partition* const> keys,
                                             std::chrono::steady_clock::time_point deadline);

// acks=all: waits until p's high watermark reaches `end` (every in-sync replica has the records below it) and
// answers as partition::replication_outcome does, or REQUEST_TIMED_OUT at the deadline.
boost::asio::awaitable<protocol::kafka_errc> await_replication(purgatory& q, std::shared_ptr<partition> p, samsa::leader_epoch epoch,
                                                  int64_t end, std::chrono::steady_clock::time_point deadline);

}  // namespace samsa::replica
