// config/server.properties: a commented example holding every start-up key with Kafka's default.
#include <string>

#include "samsa/config/broker_table.h"
#include "samsa/config/render.h"
#include "samsa/config/sections.h"

namespace samsa::config {
namespace {

constexpr std::string_view header =
    "# Samsa broker configuration (Kafka key names and defaults). Use with: samsad --config config/server.properties\n"
    "# Every key is optional: these are the defaults. A multi-node quorum needs node.id, a CONTROLLER listener in\n"
    "# listeners and controller.quorum.voters on every node (see docs/raft.md).\n"
    "# Generated from the key table (include/samsa/config/broker_table.h) by scripts/gen_config_docs.sh.\n";

constexpr size_t width = 118;

// The doc as comment lines of at most `width` columns (a longer word gets a line of its own), without Markdown.
std::string comment(std::string_view doc) {
  std::string plain;
  for (char c : doc)
    if (c != '`') plain += c;
  std::string out, line = "#";
  size_t pos = 0;
  while (pos < plain.size()) {
    size_t space = plain.find(' ', pos);
    if (space == std::string::npos) space = plain.size();
    const std::string_view word = std::string_view(plain).substr(pos, space - pos);
    if (line.size() > 1 && line.size() + 1 + word.size() > width) {
      out.append(line).append("\n");
      line.assign(1, '#');  // (not `= "#"`: GCC 12's -Wrestrict misfires on it here)
    }
    line += " ";
    line += word;
    pos = space + 1;
  }
  out.append(line).append("\n");
  return out;
}

}  // namespace

std::string server_properties() {
  std::string out(header);
  for (const section_info& s : broker_sections) {
    out.append("\n# ---- ").append(s.title).append(" ----\n");
    for (const key_def& k : broker_table) {
      if (k.where != s.id || k.mode == update_mode::dynamic_only) continue;
      // Keys without a default, and coarser aliases (which would only repeat their finer key), stay commented out.
      const bool commented = k.default_value.empty() || !k.alias.key.empty();
      out.append("\n").append(comment(k.doc)).append(commented ? "#" : "").append(k.name).append("=");
      out.append(k.default_value).append("\n");
    }
  }
  return out;
}

}  // namespace samsa::config
