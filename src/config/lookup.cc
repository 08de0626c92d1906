#include "samsa/config/lookup.h"

#include <algorithm>

namespace samsa::config {

const key_def* find(std::span<const key_def> table, std::string_view name) noexcept {
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const key_def& k, std::string_view n) { return k.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

}  // namespace samsa::config
