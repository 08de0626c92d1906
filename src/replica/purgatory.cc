#include "samsa/replica/purgatory.h"

#include <algorithm>

namespace samsa::replica {

void purgatory::watch(const partition* key, waiter* w) {
  by_partition_[key].push_back(w);
  ++registrations_;
}

void purgatory::unwatch(const partition* key, waiter* w) {
  auto it = by_partition_.find(key);
  if (it == by_partition_.end()) return;
  auto& v = it->second;
  auto pos = std::find(v.begin(), v.end(), w);
  if (pos == v.end()) return;
  *pos = v.back();  // order does not matter: every waiter of the key is woken
  v.pop_back();
  --registrations_;
  if (v.empty()) by_partition_.erase(it);
}

void purgatory::notify(const partition* key) {
  auto it = by_partition_.find(key);
  if (it == by_partition_.end()) return;
  for (waiter* w : it->second) w->wake();
}

}  // namespace samsa::replica
