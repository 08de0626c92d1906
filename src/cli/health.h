// `cluster health`: the verdict computed from one Metadata snapshot (kept free of librdkafka so it is unit-tested).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace samsa::cli {

struct PartitionState {
  std::string topic;
  int32_t partition = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas, isr;
};

struct HealthReport {
  bool healthy = true;
  int32_t controller = -1;
  std::vector<int32_t> brokers;       // brokers in the metadata (alive)
  std::vector<int32_t> down_brokers;  // named as replicas but absent from the metadata
  int topics = 0, partitions = 0, leaderless = 0, under_replicated = 0;
  struct Problem {
    PartitionState p;
    std::string problem;  // "no leader" | "under-replicated"
  };
  std::vector<Problem> problems;
  std::vector<std::string> reasons;  // one line per failed check, empty when healthy

  nlohmann::json to_json() const;
  std::string render() const;  // the table form
};

// Healthy when a controller is known, every broker named as a replica is up, every partition has a live leader and
// every partition's ISR holds all its replicas.
HealthReport evaluate_health(std::vector<int32_t> brokers, int32_t controller, const std::vector<PartitionState>& parts);

}  // namespace samsa::cli
