#pragma once
// Kafka's parsing of config values from text: surrounding whitespace is ignored, booleans are true/false in any
// case, integers are decimal with an optional sign and must fit their type, lists are comma-separated.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace samsa::config {

std::string_view trim(std::string_view v) noexcept;

std::optional<bool> parse_bool(std::string_view v) noexcept;

template <typename I>
std::optional<I> parse_int(std::string_view v) noexcept {
  v = trim(v);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  I out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc{} || p != v.data() + v.size()) return std::nullopt;
  return out;
}

// A finite double.
std::optional<double> parse_double(std::string_view v);

// The trimmed items of a comma-separated list; an empty (or all-blank) value is the empty list.
std::vector<std::string_view> split_list(std::string_view v);

}  // namespace samsa::config
