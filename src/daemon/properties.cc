#include "properties.h"

#include <sstream>

#include "samsa/config/value.h"

namespace samsa::daemon {

result<properties> parse_properties(std::string_view text) {
  properties out;
  std::stringstream ss{std::string(text)};
  std::string line;
  while (std::getline(ss, line)) {
    const std::string_view t = config::trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!') continue;
    const auto eq = t.find_first_of("=:");
    if (eq == std::string_view::npos) return std::make_error_code(std::errc::invalid_argument);
    out[std::string(config::trim(t.substr(0, eq)))] = std::string(config::trim(t.substr(eq + 1)));
  }
  return out;
}

}  // namespace samsa::daemon
