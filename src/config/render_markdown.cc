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

std::string default_cell(const key_def& k) {
  return k.default_value.empty() ? "(empty)" : "`" + std::string(k.default_value) + "`";
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
  return "`" + std::string(k.synonym) + "`" + (read ? "" : " (Kafka only)");
}

std::string broker_keys() {
  std::string out;
  for (const section_info& s : broker_sections) {
    out += "\n### " + std::string(s.title) + "\n\n";
    if (!s.intro.empty()) out += std::string(s.intro) + "\n\n";
    out += "| Key | Default | Type | Valid values | Dynamic | Meaning |\n|---|---|---|---|---|---|\n";
    for (const key_def& k : broker_table) {
      if (k.where != s.id) continue;
      out += "| `" + std::string(k.name) + "` | " + default_cell(k) + " | " + std::string(type_name(k.type)) +
             " | " + cell(describe(k.valid)) + " | " + std::string(dynamic_cell(k.mode)) + " | " + cell(k.doc) +
             " |\n";
    }
  }
  return out + "\n";
}

std::string topic_keys() {
  std::string out = "\n| Key | Default | Type | Valid values | Broker default | Meaning |\n|---|---|---|---|---|---|\n";
  for (const key_def& k : topic_table)
    out += "| `" + std::string(k.name) + "` | " + default_cell(k) + " | " + std::string(type_name(k.type)) + " | " +
           cell(describe(k.valid)) + " | " + synonym_cell(k) + " | " + cell(k.doc) + " |\n";
  return out + "\n";
}

}  // namespace

std::optional<std::string> markdown_region(std::string_view region) {
  if (region == "broker-keys") return broker_keys();
  if (region == "topic-keys") return topic_keys();
  return std::nullopt;
}

}  // namespace samsa::config
