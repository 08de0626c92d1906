#include "samsa/config/value.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace samsa::config {

std::string_view trim(std::string_view v) noexcept {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

std::optional<bool> parse_bool(std::string_view v) noexcept {
  v = trim(v);
  auto eq = [&](std::string_view w) {
    return v.size() == w.size() &&
           std::equal(v.begin(), v.end(), w.begin(), [](char a, char b) { return std::tolower(a) == b; });
  };
  if (eq("true")) return true;
  if (eq("false")) return false;
  return std::nullopt;
}

std::optional<double> parse_double(std::string_view v) {
  v = trim(v);
  if (v.empty()) return std::nullopt;
  const std::string s(v);  // strtod needs a terminated string
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::vector<std::string_view> split_list(std::string_view v) {
  std::vector<std::string_view> out;
  v = trim(v);
  if (v.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    out.push_back(trim(v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace samsa::config
