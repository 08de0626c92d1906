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

namespace samsa::cli {

TEST(DumpYaml, MappingsSequencesAndQuoting) {
  nlohmann::json j = nlohmann::json::parse(R"({"name": "orders", "partitions": [{"partition": 0, "isr": [1, 2],
      "error": null}], "configs": [], "ok": true, "num": "42", "word": "yes", "spaced": " a: b", "nested": {"x": {}}})");
  EXPECT_EQ(dump_yaml(j),
            "configs: []\n"
            "name: orders\n"
            "nested:\n"
            "  x: {}\n"
            "num: \"42\"\n"
            "ok: true\n"
            "partitions:\n"
            "  - error: null\n"
            "    isr:\n"
            "      - 1\n"
            "      - 2\n"
            "    partition: 0\n"
            "spaced: \" a: b\"\n"
            "word: \"yes\"\n");
}

TEST(DumpYaml, TopLevelSequenceOfMappingsAndEmpties) {
  nlohmann::json j = nlohmann::json::parse(R"([{"name": "a", "partitions": 3}, {"name": "retention.ms", "v": "x\ny"}])");
  EXPECT_EQ(dump_yaml(j), "- name: a\n  partitions: 3\n- name: retention.ms\n  v: \"x\\ny\"\n");
  EXPECT_EQ(dump_yaml(nlohmann::json::array()), "[]\n");
  EXPECT_EQ(dump_yaml(nlohmann::json::object()), "{}\n");
  EXPECT_EQ(dump_yaml(nlohmann::json("a b")), "\"a b\"\n");
}

}  // namespace samsa::cli
