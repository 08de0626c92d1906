// The generated docs: regions of docs/configuration.md are regenerated between their markers and nowhere else.
#include <gtest/gtest.h>

#include "samsa/config/render.h"

namespace samsa::config {
namespace {

constexpr std::string_view begin = "<!-- generated: topic-keys (hand-written note) -->\n";
constexpr std::string_view end = "<!-- end generated: topic-keys -->\n";

TEST(ConfigRender, RegionsAreReplacedAndProseIsKept) {
  const std::string doc = "# Title\n\nProse.\n" + std::string(begin) + "stale table\n" + std::string(end) + "More.\n";
  const auto out = regenerate_markdown(doc);
  ASSERT_TRUE(out.text) << out.error;
  EXPECT_EQ(*out.text, "# Title\n\nProse.\n" + std::string(begin) + *markdown_region("topic-keys") +
                           std::string(end) + "More.\n");
  // Regenerating is idempotent: the docs-drift check compares a file with its regeneration.
  EXPECT_EQ(regenerate_markdown(*out.text).text, out.text);
  EXPECT_NE(out.text->find("| `retention.ms` | `604800000` | long | at least -1 | `log.retention.ms` |"),
            std::string::npos);
}

TEST(ConfigRender, BadMarkersAreErrors) {
  EXPECT_FALSE(regenerate_markdown(std::string(begin) + "no end\n").text);
  EXPECT_FALSE(regenerate_markdown(std::string(end)).text);
  EXPECT_FALSE(regenerate_markdown("<!-- generated: nonsense -->\n<!-- end generated: nonsense -->\n").text);
  EXPECT_EQ(regenerate_markdown("no regions\n").text, "no regions\n");
}

TEST(ConfigRender, ServerPropertiesHoldEveryStartUpKeyWithItsDefault) {
  const std::string p = server_properties();
  EXPECT_NE(p.find("\nprocess.roles=broker,controller\n"), std::string::npos);
  EXPECT_NE(p.find("\n#controller.quorum.voters=\n"), std::string::npos);  // no default: commented out
  EXPECT_NE(p.find("\n#log.retention.hours=168\n"), std::string::npos);   // an alias: commented out
  EXPECT_EQ(p.find("num.io.threads"), std::string::npos);                  // not read at start-up
  for (size_t pos = 0, eol; pos < p.size(); pos = eol + 1) {
    eol = p.find('\n', pos);
    if (p[pos] == '#') {
      EXPECT_LE(eol - pos, 118u) << p.substr(pos, eol - pos);
    }
  }
}

}  // namespace
}  // namespace samsa::config
