#pragma once
// The generated documentation: the key tables of docs/configuration.md and the whole of config/server.properties,
// rendered from the key tables. Pure string functions; samsa_config_gen (src/config/gen) reads and writes the files
// and checks them in a test, so the docs cannot drift from the tables.
#include <optional>
#include <string>
#include <string_view>

namespace samsa::config {

// The Markdown of one generated region of docs/configuration.md ("broker-keys" or "topic-keys"); nullopt for an
// unknown region.
std::optional<std::string> markdown_region(std::string_view region);

// docs/configuration.md with the body of every generated region replaced by its current rendering; the prose
// around the regions is kept. A region is the lines between "<!-- generated: NAME ... -->" and
// "<!-- end generated: NAME -->". nullopt (and why) when a marker is missing or names an unknown region.
struct spliced {
  std::optional<std::string> text;
  std::string error;
};
spliced regenerate_markdown(std::string_view doc);

// config/server.properties: every key samsad reads at start-up with its doc and default, by section.
std::string server_properties();

}  // namespace samsa::config
