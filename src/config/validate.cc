#include "samsa/config/validate.h"

#include <algorithm>

#include "samsa/config/value.h"

namespace samsa::config {
namespace {

using t = value_type;

// The type check: the why-part of the message, or nullopt.
std::optional<std::string_view> type_error(value_type type, std::string_view value) {
  switch (type) {
    case t::boolean:
      if (!parse_bool(value)) return "Expected value to be either true or false";
      break;
    case t::int16:
      if (!parse_int<int16_t>(value)) return "Expected value to be a 16-bit integer";
      break;
    case t::int32:
      if (!parse_int<int32_t>(value)) return "Expected value to be a 32-bit integer";
      break;
    case t::int64:
      if (!parse_int<int64_t>(value)) return "Expected value to be a 64-bit integer";
      break;
    case t::float64:
      if (!parse_double(value)) return "Expected value to be a double";
      break;
    case t::string:
    case t::list: break;
  }
  return std::nullopt;
}

std::string joined(std::span<const std::string_view> items, std::string_view quote) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out.append(i ? ", " : "").append(quote).append(items[i]).append(quote);
  return out;
}

// Compares a numeric value (its type check passed) with a bound: <0, 0, >0. Integers compare exactly; doubles
// only have small bounds (0 and 1), which a double holds exactly.
int compare(value_type type, std::string_view value, int64_t bound) {
  if (type == t::float64) {
    const double d = *parse_double(value);
    return d < static_cast<double>(bound) ? -1 : d > static_cast<double>(bound) ? 1 : 0;
  }
  const int64_t v = *parse_int<int64_t>(value);
  return v < bound ? -1 : v > bound ? 1 : 0;
}

}  // namespace

std::string invalid_value(std::string_view key, std::string_view value, std::string_view why) {
  return "Invalid value " + std::string(value) + " for configuration " + std::string(key) + ": " + std::string(why);
}

std::optional<std::string> validate(const key_def& k, std::string_view value) {
  if (auto why = type_error(k.type, value)) return invalid_value(k.name, value, *why);
  const check& c = k.valid;
  if (c.non_empty && split_list(value).empty())
    return invalid_value(k.name, value, std::string(k.name) + " must not be empty");
  switch (c.k) {
    case check::kind::any: break;
    case check::kind::at_least:
      if (compare(k.type, value, c.lo) < 0)
        return invalid_value(k.name, value, "Value must be at least " + std::to_string(c.lo));
      break;
    case check::kind::between:
      if (compare(k.type, value, c.lo) < 0 || compare(k.type, value, c.hi) > 0)
        return invalid_value(k.name, value,
                             "Value must be between " + std::to_string(c.lo) + " and " + std::to_string(c.hi));
      break;
    case check::kind::one_of: {
      auto allowed = [&](std::string_view v) {
        return std::find(c.allowed.begin(), c.allowed.end(), v) != c.allowed.end();
      };
      const auto items = k.type == t::list ? split_list(value) : std::vector<std::string_view>{trim(value)};
      const bool ok = std::all_of(items.begin(), items.end(), allowed);
      if (!ok) return invalid_value(k.name, value, "String must be one of: " + joined(c.allowed, ""));
      break;
    }
    case check::kind::custom:
      if (auto why = c.custom(value)) return invalid_value(k.name, value, *why);
      break;
  }
  return std::nullopt;
}

std::string_view type_name(value_type type) noexcept {
  switch (type) {
    case t::boolean: return "boolean";
    case t::int16: return "short";
    case t::int32: return "int";
    case t::int64: return "long";
    case t::float64: return "double";
    case t::string: return "string";
    case t::list: return "list";
  }
  return "";
}

std::string describe(const check& c) {
  std::string out;
  switch (c.k) {
    case check::kind::any: break;
    case check::kind::at_least: out = "at least " + std::to_string(c.lo); break;
    case check::kind::between: out = std::to_string(c.lo) + " to " + std::to_string(c.hi); break;
    case check::kind::one_of: out = joined(c.allowed, "`"); break;
    case check::kind::custom: out = std::string(c.custom_doc); break;
  }
  if (c.non_empty) out += out.empty() ? "not empty" : " (not empty)";
  return out;
}

}  // namespace samsa::config
