#pragma once
// Finding keys in a table: at runtime by binary search, and at compile time (consteval) for code that names a key
// in a string literal, so a misspelt or undeclared key is a build error rather than a silently ignored setting.
#include <span>
#include <string_view>

#include "samsa/config/key.h"

namespace samsa::config {

// Tables are sorted by name with no duplicates (static_assert'ed next to each table).
constexpr bool sorted_unique(std::span<const key_def> table) {
  for (size_t i = 1; i < table.size(); ++i)
    if (!(table[i - 1].name < table[i].name)) return false;
  return true;
}

// nullptr when the table has no such key.
const key_def* find(std::span<const key_def> table, std::string_view name) noexcept;

// The key named `name`; naming an undeclared key does not compile ("not a constant expression" at the throw).
consteval const key_def& declared(std::span<const key_def> table, std::string_view name) {
  for (const key_def& k : table)
    if (k.name == name) return k;
  throw "config key not declared in its table";
}

}  // namespace samsa::config
