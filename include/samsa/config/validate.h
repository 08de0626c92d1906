#pragma once
// Checking a value against its key_def, with Kafka's messages ("Invalid value V for configuration K: why"), and
// saying in words what a key accepts (for the generated docs).
#include <optional>
#include <string>
#include <string_view>

#include "samsa/config/key.h"

namespace samsa::config {

// nullopt when value is a good value of k (type first, then k.valid); else the message, naming key and value.
std::optional<std::string> validate(const key_def& k, std::string_view value);

// "Invalid value V for configuration K: why" (shared so callers with their own checks word them alike).
std::string invalid_value(std::string_view key, std::string_view value, std::string_view why);

// Kafka's type names: boolean, short, int, long, double, string, list.
std::string_view type_name(value_type t) noexcept;

// What c accepts, in Markdown: "at least 1", "0 to 100", "`delete`, `compact`", the custom doc; "" for any().
std::string describe(const check& c);

}  // namespace samsa::config
