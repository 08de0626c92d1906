#include "profile.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "samsa/cli/output.h"

namespace samsa::cli {
namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::string& origin) : text_(text), origin_(origin) {}

  std::map<std::string, std::string> run() {
    std::map<std::string, std::string> out;
    std::string table;
    std::istringstream in(text_);
    while (std::getline(in, line_)) {
      ++lineno_;
      pos_ = 0;
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      skip_ws();
      if (at_end_or_comment()) continue;
      if (line_[pos_] == '[') {
        ++pos_;
        if (pos_ < line_.size() && line_[pos_] == '[') error("arrays of tables ([[...]]) are not supported");
        skip_ws();
        table = key();
        skip_ws();
        expect(']');
        skip_ws();
        if (!at_end_or_comment()) error("unexpected text after the table header");
        continue;
      }
      std::string k = key();
      skip_ws();
      expect('=');
      skip_ws();
      std::string v = value();
      skip_ws();
      if (!at_end_or_comment()) error("unexpected text after the value");
      std::string full = table.empty() ? k : table + "." + k;
      if (!out.emplace(full, v).second) error("key '" + full + "' is defined twice");
    }
    return out;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw CliError(kUsage, "", origin_ + ":" + std::to_string(lineno_) + ": " + what);
  }
  void skip_ws() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t')) ++pos_;
  }
  bool at_end_or_comment() const { return pos_ >= line_.size() || line_[pos_] == '#'; }
  void expect(char c) {
    if (pos_ >= line_.size() || line_[pos_] != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  // A dotted key: bare parts [A-Za-z0-9_-]+ or quoted parts, joined by '.'.
  std::string key() {
    std::string k;
    for (;;) {
      skip_ws();
      if (pos_ < line_.size() && (line_[pos_] == '"' || line_[pos_] == '\'')) {
        k += line_[pos_] == '"' ? basic_string() : literal_string();
      } else {
        size_t start = pos_;
        while (pos_ < line_.size() && (std::isalnum(static_cast<unsigned char>(line_[pos_])) || line_[pos_] == '_' ||
                                       line_[pos_] == '-'))
          ++pos_;
        if (pos_ == start) error("expected a key");
        k += line_.substr(start, pos_ - start);
      }
      skip_ws();
      if (pos_ < line_.size() && line_[pos_] == '.') {
        ++pos_;
        k += '.';
        continue;
      }
      return k;
    }
  }
  std::string basic_string() {
    expect('"');
    std::string s;
    while (pos_ < line_.size() && line_[pos_] != '"') {
      char c = line_[pos_++];
      if (c != '\\') {
        s += c;
        continue;
      }
      if (pos_ >= line_.size()) break;
      char e = line_[pos_++];
      switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case 'n': s += '\n'; break;
        case 't': s += '\t'; break;
        case 'r': s += '\r'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'u': {
          if (pos_ + 4 > line_.size()) error("bad \\u escape");
          unsigned long cp = std::strtoul(line_.substr(pos_, 4).c_str(), nullptr, 16);
          pos_ += 4;
          if (cp < 0x80) {
            s += static_cast<char>(cp);
          } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: error(std::string("unknown escape \\") + e);
      }
    }
    expect('"');
    return s;
  }
  std::string literal_string() {
    expect('\'');
    size_t end = line_.find('\'', pos_);
    if (end == std::string::npos) error("unterminated string");
    std::string s = line_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  std::string value() {
    if (pos_ >= line_.size()) error("expected a value");
    char c = line_[pos_];
    if (c == '"') {
      if (line_.compare(pos_, 3, "\"\"\"") == 0) error("multi-line strings are not supported");
      return basic_string();
    }
    if (c == '\'') {
      if (line_.compare(pos_, 3, "'''") == 0) error("multi-line strings are not supported");
      return literal_string();
    }
    if (c == '[' || c == '{') error("arrays and inline tables are not supported; use a comma-separated string");
    size_t start = pos_;
    while (pos_ < line_.size() && line_[pos_] != ' ' && line_[pos_] != '\t' && line_[pos_] != '#') ++pos_;
    std::string v = line_.substr(start, pos_ - start);
    if (v == "true" || v == "false") return v;
    std::string digits;
    for (char d : v)
      if (d != '_') digits += d;
    char* end = nullptr;
    std::strtod(digits.c_str(), &end);
    if (digits.empty() || *end != '\0') error("expected a string, number or boolean; quote text values: \"" + v + "\"");
    return digits;
  }

  const std::string& text_;
  const std::string& origin_;
  std::string line_;
  size_t pos_ = 0;
  int lineno_ = 0;
};

}  // namespace

std::map<std::string, std::string> parse_toml_subset(const std::string& text, const std::string& origin) {
  return Parser(text, origin).run();
}

std::string profile_path() {
  if (const char* p = std::getenv("SAMSACTL_CONFIG"); p && *p) return p;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/samsa/samsactl.toml";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/samsa/samsactl.toml";
  return "";
}

Profile profile_from_text(const std::string& text, const std::string& origin) {
  Profile p;
  p.path = origin;
  for (const auto& [k, v] : parse_toml_subset(text, origin)) {
    if (k == "brokers") {
      p.brokers = v;
    } else if (k == "format") {
      if (v != "table" && v != "json" && v != "yaml")
        throw CliError(kUsage, "", origin + ": format must be table, json or yaml, not '" + v + "'");
      p.format = v;
    } else if (k == "timeout") {
      char* end = nullptr;
      double s = std::strtod(v.c_str(), &end);
      if (*end != '\0' || !(s > 0)) throw CliError(kUsage, "", origin + ": timeout must be a positive number of seconds");
      p.timeout_s = s;
    } else if (k.rfind("properties.", 0) == 0) {
      p.properties.emplace_back(k.substr(11), v);
    } else {
      p.warnings.push_back(origin + ": unknown key '" + k + "' ignored (known: brokers, timeout, format, [properties])");
    }
  }
  return p;
}

Profile load_profile() {
  std::string path = profile_path();
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (const char* p = std::getenv("SAMSACTL_CONFIG"); p && *p)
      throw CliError(kUsage, "", "cannot read the profile " + path + " named by SAMSACTL_CONFIG");
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return profile_from_text(ss.str(), path);
}

}  // namespace samsa::cli
