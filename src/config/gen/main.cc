// samsa_config_gen: keeps docs/configuration.md (its generated regions) and config/server.properties equal to what
// the key tables render.
//   samsa_config_gen check DOCS PROPERTIES   exit 1, naming the first differing line, when either file has drifted
//   samsa_config_gen write DOCS PROPERTIES   rewrite both files (scripts/gen_config_docs.sh)
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>

#include "samsa/config/render.h"

namespace {

std::optional<std::string> read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// "" when equal; else where the first difference is, with both lines.
std::string first_difference(const std::string& want, const std::string& have) {
  std::istringstream w(want), h(have);
  std::string wl, hl;
  for (int n = 1;; ++n) {
    const bool wm = static_cast<bool>(std::getline(w, wl));
    const bool hm = static_cast<bool>(std::getline(h, hl));
    if (!wm && !hm) return want == have ? "" : "the end of the file (its last newline)";
    if (!wm || !hm || wl != hl)
      return "line " + std::to_string(n) + ":\n  expected: " + (wm ? wl : "(end of file)") +
             "\n  found:    " + (hm ? hl : "(end of file)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 4 ? argv[1] : "";
  if (mode != "check" && mode != "write") {
    std::cerr << "usage: samsa_config_gen check|write docs/configuration.md config/server.properties\n";
    return 2;
  }
  const std::string docs_path = argv[2], props_path = argv[3];
  const auto docs = read(docs_path);
  if (!docs) {
    std::cerr << "cannot read " << docs_path << "\n";
    return 2;
  }
  const auto want_docs = samsa::config::regenerate_markdown(*docs);
  if (!want_docs.text) {
    std::cerr << docs_path << ": " << want_docs.error << "\n";
    return 2;
  }
  const std::string want_props = samsa::config::server_properties();
  const auto props = read(props_path).value_or("");

  if (mode == "write") {
    if (!write(docs_path, *want_docs.text) || !write(props_path, want_props)) {
      std::cerr << "cannot write " << docs_path << " or " << props_path << "\n";
      return 1;
    }
    return 0;
  }
  int rc = 0;
  for (const auto& [path, want, have] : {std::tuple{docs_path, *want_docs.text, *docs},
                                          std::tuple{props_path, want_props, props}}) {
    if (const std::string diff = first_difference(want, have); !diff.empty()) {
      std::cerr << path << " differs from the key tables (include/samsa/config/*_table.h) at " << diff
                << "\nRegenerate it with scripts/gen_config_docs.sh.\n";
      rc = 1;
    }
  }
  return rc;
}
