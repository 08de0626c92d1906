#include "samsa/cli/output.h"

#include <algorithm>
#include <cctype>

namespace samsa::cli {

std::string Table::render() const {
  std::vector<size_t> width(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool upper) {
    std::string l;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : "";
      if (upper) std::transform(cell.begin(), cell.end(), cell.begin(), [](unsigned char c) { return std::toupper(c); });
      l += cell;
      if (i + 1 < width.size()) l += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  line(headers_, true);
  for (const auto& row : rows_) line(row, false);
  return out;
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace samsa::cli

namespace samsa::cli {
namespace {

bool plain_safe(const std::string& s) {
  if (s.empty()) return false;
  static const char* const reserved[] = {"null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False",
                                         "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
                                         "off", "Off", "OFF", "y", "Y", "n", "N", ".inf", ".nan", "-"};
  for (const char* r : reserved)
    if (s == r) return false;
  unsigned char first = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(first) || first == '_' || first == '/' || first == '.')) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/')) return false;
  return true;
}

std::string scalar(const nlohmann::json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return plain_safe(s) ? s : dump_json(j, -1);
  }
  return dump_json(j, -1);  // null, true/false, numbers: JSON spelling is YAML's
}

bool is_empty_container(const nlohmann::json& j) { return (j.is_object() || j.is_array()) && j.empty(); }

void emit_yaml(std::string& out, const nlohmann::json& j, int indent);

// Writes the value of a mapping entry or sequence item whose "key: " / "- " prefix is already on the line.
void emit_child(std::string& out, const nlohmann::json& v, int indent) {
  if (is_empty_container(v)) {
    out += v.is_object() ? " {}\n" : " []\n";
  } else if (v.is_object() || v.is_array()) {
    out += '\n';
    emit_yaml(out, v, indent + 2);
  } else {
    out += ' ' + scalar(v) + '\n';
  }
}

void emit_yaml(std::string& out, const nlohmann::json& j, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      out += pad + scalar(nlohmann::json(it.key())) + ':';
      emit_child(out, it.value(), indent);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_object() && !v.empty()) {
        // "- k: v" with the remaining keys aligned under the first
        std::string sub;
        emit_yaml(sub, v, indent + 2);
        out += pad + "- " + sub.substr(static_cast<size_t>(indent) + 2);
      } else {
        out += pad + '-';
        emit_child(out, v, indent);
      }
    }
  } else {
    out += pad + scalar(j) + '\n';
  }
}

}  // namespace

std::string dump_yaml(const nlohmann::json& j) {
  if (is_empty_container(j)) return j.is_object() ? "{}\n" : "[]\n";
  std::string out;
  emit_yaml(out, j, 0);
  return out;
}

}  // namespace samsa::cli
