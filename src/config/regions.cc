// Regenerating the generated regions of docs/configuration.md between their marker lines.
#include <string>

#include "samsa/config/render.h"

namespace samsa::config {
namespace {

constexpr std::string_view begin_prefix = "<!-- generated: ";
constexpr std::string_view end_prefix = "<!-- end generated: ";

// The region a begin marker names: "<!-- generated: NAME (anything) -->" -> NAME.
std::string_view region_name(std::string_view line, std::string_view prefix) {
  line.remove_prefix(prefix.size());
  return line.substr(0, line.find_first_of(" \n"));
}

}  // namespace

spliced regenerate_markdown(std::string_view doc) {
  std::string out;
  size_t pos = 0;
  while (pos < doc.size()) {
    size_t eol = doc.find('\n', pos);
    eol = eol == std::string_view::npos ? doc.size() : eol + 1;
    const std::string_view line = doc.substr(pos, eol - pos);
    out += line;
    pos = eol;
    if (line.starts_with(end_prefix)) return {std::nullopt, "an end marker without its begin: " + std::string(line)};
    if (!line.starts_with(begin_prefix)) continue;
    const std::string name(region_name(line, begin_prefix));
    const auto body = markdown_region(name);
    if (!body) return {std::nullopt, "unknown generated region '" + name + "'"};
    const std::string end_marker = std::string(end_prefix) + name + " -->";
    const size_t end = doc.find(end_marker, pos);
    if (end == std::string_view::npos || (end > 0 && doc[end - 1] != '\n'))
      return {std::nullopt, "no line '" + end_marker + "' after the region's begin marker"};
    out += *body;
    // Copy the end marker line here: the loop treats an end marker it meets as one without a begin.
    const size_t end_eol = doc.find('\n', end);
    pos = end_eol == std::string_view::npos ? doc.size() : end_eol + 1;
    out += doc.substr(end, pos - end);
  }
  return {out, {}};
}

}  // namespace samsa::config
