// The Markdown tables of docs/configuration.md.
#include <string>

#include "samsa/config/broker_table.h"
#include "samsa/config/render.h"
#include "samsa/config/sections.h"
#include "samsa/config/topic_table.h"
#include "samsa/config/validate.h"

namespace samsa::config {
namespace {

// A cell must not end the row early.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

// Concatenation by append (GCC 12's -Wrestrict misfires on `"literal" + std::string` at -O2/-O3).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(std::string_view(parts)), ...);
  return s;
}

std::string default_cell(const key_def& k) {
  return k.default_value.empty() ? std::string("(empty)") : cat("`", k.default_value, "`");
}

std::string_view dynamic_cell(update_mode m) {
  switch (m) {
    case update_mode::read_only: return "no";
    case update_mode::dynamic: return "yes";
    case update_mode::dynamic_only: return "only";
  }
  return "";
}

// What a topic without an override gets: the broker key samsad reads, or (when samsad has no such key) Kafka's
// broker key, whose value is then always the topic default.
std::string synonym_cell(const key_def& k) {
  if (k.synonym.empty()) return "";
  const key_def* b = find_broker_key(k.synonym);
  const bool read = b != nullptr && b->mode != update_mode::dynamic_only;
  return cat("`", k.synonym, "`", read ? "" : " (Kafka only)");
}

std::string broker_keys() {
  std::string out;
  for (const section_info& s : broker_sections) {
    out += cat("\n### ", s.title, "\n\n");
    if (!s.intro.empty()) out += cat(s.intro, "\n\n");
    out += "| Key | Default | Type | Valid values | Dynamic | Meaning |\n|---|---|---|---|---|---|\n";
    for (const key_def& k : broker_table) {
      if (k.where != s.id) continue;
      out += cat("| `", k.name, "` | ", default_cell(k), " | ", type_name(k.type), " | ", cell(describe(k.valid)),
                 " | ", dynamic_cell(k.mode), " | ", cell(k.doc), " |\n");
    }
  }
  out += "\n";
  return out;
}

std::string topic_keys() {
  std::string out = "\n| Key | Default | Type | Valid values | Broker default | Meaning |\n|---|---|---|---|---|---|\n";
  for (const key_def& k : topic_table)
    out += cat("| `", k.name, "` | ", default_cell(k), " | ", type_name(k.type), " | ", cell(describe(k.valid)), " | ",
               synonym_cell(k), " | ", cell(k.doc), " |\n");
  out += "\n";
  return out;
}

}  // namespace

std::optional<std::string> markdown_region(std::string_view region) {
  if (region == "broker-keys") return broker_keys();
  if (region == "topic-keys") return topic_keys();
  return std::nullopt;
}

}  // namespace samsa::config
