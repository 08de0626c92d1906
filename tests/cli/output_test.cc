#include "samsa/cli/output.h"

#include <gtest/gtest.h>

namespace samsa::cli {

TEST(Table, AlignsColumnsWithUppercaseHeadersAndNoTrailingBlanks) {
  Table t({"name", "partitions", "x"});
  t.add({"a", "1", ""});
  t.add({"longer-name", "12", "y"});
  EXPECT_EQ(t.render(),
            "NAME         PARTITIONS  X\n"
            "a            1\n"
            "longer-name  12          y\n");
}

TEST(Table, HeaderOnlyWhenEmpty) {
  Table t({"group", "state"});
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.render(), "GROUP  STATE\n");
}

TEST(DumpJson, ReplacesInvalidUtf8InsteadOfThrowing) {
  nlohmann::json j = {{"value", std::string("a\xff" "b")}};
  std::string s;
  EXPECT_NO_THROW(s = dump_json(j, -1));
  EXPECT_EQ(s, "{\"value\":\"a\xEF\xBF\xBD" "b\"}");
}

TEST(DumpJson, EscapesControlCharactersAndQuotes) {
  nlohmann::json j = {{"k", "a\"b\n"}};
  EXPECT_EQ(dump_json(j, -1), "{\"k\":\"a\\\"b\\n\"}");
}

}  // namespace samsa::cli
