#pragma once
// Typed reads of the broker's settings (every start-up key's text, already validated against the key table). The
// key is a template argument, so binding a field to an undeclared key, to a key samsad does not read at start-up,
// or to a key whose type and range do not fit the field does not compile.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>

#include "samsa/config/broker_table.h"
#include "samsa/config/value.h"

namespace samsa::daemon {

// A string literal usable as a template argument: read.get<"node.id">(c.node_id).
template <size_t N>
struct key_name {
  char text[N]{};
  consteval key_name(const char (&s)[N]) { std::copy_n(s, N, text); }  // NOLINT: implicit by design
  constexpr std::string_view view() const { return {text, N - 1}; }
};

// Whether every value key k accepts (its type, narrowed by its range) fits a T.
template <typename T>
consteval bool fits(const config::key_def& k) {
  using vt = config::value_type;
  if constexpr (std::is_same_v<T, bool>) {
    return k.type == vt::boolean;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return k.type == vt::string || k.type == vt::list;
  } else if constexpr (std::is_integral_v<T>) {
    int64_t lo = 0, hi = 0;
    switch (k.type) {
      case vt::int16: lo = INT16_MIN, hi = INT16_MAX; break;
      case vt::int32: lo = INT32_MIN, hi = INT32_MAX; break;
      case vt::int64: lo = INT64_MIN, hi = INT64_MAX; break;
      default: return false;
    }
    if (k.valid.k == config::check::kind::at_least || k.valid.k == config::check::kind::between)
      lo = std::max(lo, k.valid.lo);
    if (k.valid.k == config::check::kind::between) hi = std::min(hi, k.valid.hi);
    if constexpr (std::is_unsigned_v<T>) {
      return lo >= 0 && static_cast<uint64_t>(hi) <= std::numeric_limits<T>::max();
    } else {
      return lo >= std::numeric_limits<T>::min() && hi <= std::numeric_limits<T>::max();
    }
  } else {
    return false;
  }
}

class settings_reader {
 public:
  explicit settings_reader(const std::map<std::string, std::string>& settings) : settings_(settings) {}

  template <key_name Name>
  const std::string& text() const {
    static constexpr const config::key_def& k = config::broker_key(Name.view());
    static_assert(k.mode != config::update_mode::dynamic_only, "samsad reads no start-up value for this key");
    return settings_.at(std::string(k.name));
  }

  // Reads the key into field; false (and error() names the key) when its text does not parse, which only a
  // default that breaks its own validator could cause.
  template <key_name Name, typename T>
  bool get(T& field) {
    static constexpr const config::key_def& k = config::broker_key(Name.view());
    static_assert(fits<T>(k), "the key's type or range does not fit the field");
    const std::string& v = text<Name>();
    if constexpr (std::is_same_v<T, bool>) {
      if (auto b = config::parse_bool(v)) return field = *b, true;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return field = std::string(config::trim(v)), true;
    } else {
      if (auto n = config::parse_int<int64_t>(v)) return field = static_cast<T>(*n), true;
    }
    if (error_.empty()) error_ = "'" + std::string(k.name) + "' has the unreadable value '" + v + "'";
    return false;
  }

  const std::string& error() const noexcept { return error_; }

 private:
  const std::map<std::string, std::string>& settings_;
  std::string error_;
};

}  // namespace samsa::daemon
