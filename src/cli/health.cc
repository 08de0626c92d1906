#include "health.h"

#include <algorithm>
#include <set>

#include "samsa/cli/output.h"

namespace samsa::cli {
namespace {

std::string join(const std::vector<int32_t>& v) {
  std::string s;
  for (auto x : v) {
    if (!s.empty()) s += ',';
    s += std::to_string(x);
  }
  return s.empty() ? "-" : s;
}

}  // namespace

HealthReport evaluate_health(std::vector<int32_t> brokers, int32_t controller, const std::vector<PartitionState>& parts) {
  HealthReport r;
  std::sort(brokers.begin(), brokers.end());
  r.brokers = brokers;
  r.controller = controller;
  std::set<int32_t> up(brokers.begin(), brokers.end()), down;
  std::set<std::string> topics;
  for (const auto& p : parts) {
    topics.insert(p.topic);
    ++r.partitions;
    for (auto id : p.replicas)
      if (!up.count(id)) down.insert(id);
    if (p.leader < 0 || !up.count(p.leader)) {
      ++r.leaderless;
      r.problems.push_back({p, "no leader"});
    } else if (p.isr.size() < p.replicas.size()) {
      ++r.under_replicated;
      r.problems.push_back({p, "under-replicated"});
    }
  }
  // Under-replicated counts every partition short of ISR members, leaderless or not (as Kafka's URP metric).
  for (const auto& pr : r.problems)
    if (pr.problem == "no leader" && pr.p.isr.size() < pr.p.replicas.size()) ++r.under_replicated;
  r.topics = static_cast<int>(topics.size());
  r.down_brokers.assign(down.begin(), down.end());
  std::sort(r.problems.begin(), r.problems.end(), [](const auto& a, const auto& b) {
    return std::tie(a.p.topic, a.p.partition) < std::tie(b.p.topic, b.p.partition);
  });
  if (controller < 0) r.reasons.push_back("no controller is known");
  if (brokers.empty()) r.reasons.push_back("no broker is up");
  if (!r.down_brokers.empty()) r.reasons.push_back("brokers down: " + join(r.down_brokers));
  if (r.leaderless) r.reasons.push_back(std::to_string(r.leaderless) + " partition(s) without a leader");
  if (r.under_replicated) r.reasons.push_back(std::to_string(r.under_replicated) + " under-replicated partition(s)");
  r.healthy = r.reasons.empty();
  return r;
}

nlohmann::json HealthReport::to_json() const {
  nlohmann::json jp = nlohmann::json::array();
  for (const auto& pr : problems)
    jp.push_back({{"topic", pr.p.topic}, {"partition", pr.p.partition}, {"leader", pr.p.leader},
                  {"replicas", pr.p.replicas}, {"isr", pr.p.isr}, {"problem", pr.problem}});
  return {{"healthy", healthy},
          {"controller_id", controller < 0 ? nlohmann::json(nullptr) : nlohmann::json(controller)},
          {"brokers", brokers},
          {"down_brokers", down_brokers},
          {"topics", topics},
          {"partitions", partitions},
          {"leaderless_partitions", leaderless},
          {"under_replicated_partitions", under_replicated},
          {"problems", jp},
          {"reasons", reasons}};
}

std::string HealthReport::render() const {
  std::string out;
  out += std::string("HEALTHY:                      ") + (healthy ? "yes" : "no") + '\n';
  out += "CONTROLLER:                   " + (controller < 0 ? std::string("-") : std::to_string(controller)) + '\n';
  out += "BROKERS:                      " + join(brokers) + '\n';
  out += "DOWN-BROKERS:                 " + join(down_brokers) + '\n';
  out += "PARTITIONS:                   " + std::to_string(partitions) + '\n';
  out += "LEADERLESS-PARTITIONS:        " + std::to_string(leaderless) + '\n';
  out += "UNDER-REPLICATED-PARTITIONS:  " + std::to_string(under_replicated) + '\n';
  if (!problems.empty()) {
    Table t({"topic", "partition", "leader", "replicas", "isr", "problem"});
    for (const auto& pr : problems)
      t.add({pr.p.topic, std::to_string(pr.p.partition), pr.p.leader < 0 ? "-" : std::to_string(pr.p.leader),
             join(pr.p.replicas), join(pr.p.isr), pr.problem});
    out += '\n' + t.render();
  }
  return out;
}

}  // namespace samsa::cli
