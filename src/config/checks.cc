#include "samsa/config/checks.h"

#include <cstdint>

#include "samsa/config/value.h"

namespace samsa::config {

std::optional<std::string> check_throttled_replicas(std::string_view value) {
  for (auto item : split_list(value)) {
    if (item == "*") continue;
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos || !parse_int<int32_t>(item.substr(0, colon)) ||
        !parse_int<int32_t>(item.substr(colon + 1)))
      return "Expected \"*\" or a list of partition:broker pairs";
  }
  return std::nullopt;
}

}  // namespace samsa::config
