// Replica placement, after Kafka's AdminUtils.assignReplicasToBrokers (rack-unaware and rack-aware variants).
#include <algorithm>
#include <map>
#include <set>

#include "samsa/cluster/controller.h"

namespace samsa::cluster {
namespace {

uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int32_t replica_index(int32_t first, int32_t shift, int32_t j, int32_t n) {
  const int32_t s = 1 + (shift + j) % (n - 1);
  return (first + s) % n;
}

// Brokers ordered so that racks alternate: r1b1, r2b1, r3b1, r1b2, ... (racks and brokers sorted).
std::vector<placement_broker> rack_alternated(const std::vector<placement_broker>& brokers) {
  std::map<std::string, std::vector<broker_id>> by_rack;
  for (const auto& b : brokers) by_rack[*b.rack].push_back(b.id);
  for (auto& [r, ids] : by_rack) std::sort(ids.begin(), ids.end());
  std::vector<placement_broker> out;
  for (size_t i = 0; out.size() < brokers.size(); ++i) {
    for (const auto& [r, ids] : by_rack)
      if (i < ids.size()) out.push_back({ids[i], r});
  }
  return out;
}

}  // namespace

std::vector<std::vector<broker_id>> place_replicas(std::vector<placement_broker> brokers, int32_t first_partition,
                                                   int32_t count, int32_t rf, uint64_t seed) {
  std::sort(brokers.begin(), brokers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const bool rack_aware =
      !brokers.empty() && std::all_of(brokers.begin(), brokers.end(), [](const auto& b) { return b.rack.has_value(); });
  if (rack_aware) brokers = rack_alternated(brokers);
  const auto n = static_cast<int32_t>(brokers.size());
  const uint64_t r = mix(seed);
  const auto start = static_cast<int32_t>(r % static_cast<uint64_t>(n));
  int32_t shift = static_cast<int32_t>((r >> 32) % static_cast<uint64_t>(n));
  std::set<std::string> racks;
  for (const auto& b : brokers)
    if (b.rack) racks.insert(*b.rack);
  const auto num_racks = static_cast<int32_t>(racks.size());

  std::vector<std::vector<broker_id>> out;
  for (int32_t p = first_partition; p < first_partition + count; ++p) {
    if (p > 0 && p % n == 0) shift += 1;
    const int32_t first = (p + start) % n;
    std::vector<broker_id> replicas{brokers[first].id};
    if (!rack_aware) {
      for (int32_t j = 0; j < rf - 1; ++j) replicas.push_back(brokers[replica_index(first, shift, j, n)].id);
    } else {
      std::set<std::string> used_racks{*brokers[first].rack};
      std::set<broker_id> used{brokers[first].id};
      int32_t k = 0;
      for (int32_t j = 0; j < rf - 1; ++j) {
        while (true) {
          const auto& b = brokers[replica_index(first, shift * num_racks, k, n)];
          ++k;
          const bool rack_ok = !used_racks.count(*b.rack) || static_cast<int32_t>(used_racks.size()) == num_racks;
          const bool broker_ok = !used.count(b.id) || static_cast<int32_t>(used.size()) == n;
          if (rack_ok && broker_ok) {
            replicas.push_back(b.id);
            used_racks.insert(*b.rack);
            used.insert(b.id);
            break;
          }
        }
      }
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

}  // namespace samsa::cluster
