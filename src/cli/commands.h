// samsactl command registration: each noun adds its verbs to the CLI11 app; actions run after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "client.h"
#include "samsa/cli/output.h"

namespace samsa::cli {

struct Context {
  Connection conn;
  std::string format_name;  // "" when given neither on the command line nor in the profile
  Format format() const {
    return format_name == "json" ? Format::kJson : format_name == "yaml" ? Format::kYaml : Format::kTable;
  }
  // JSON or YAML: the output is the command's JSON value rather than tables.
  bool structured() const { return format() != Format::kTable; }
  CLI::Option* brokers_option = nullptr;  // to tell whether -b was given (precedence: -b > env > profile)
  CLI::App* root = nullptr;               // the whole command tree (for shell completion)
  std::function<int()> action;            // set by the chosen subcommand's callback
};

// Adds the options every command accepts (they may appear before or after the verb).
void add_common_options(CLI::App& app, Context& ctx);
CLI::App* add_verb(CLI::App& noun, Context& ctx, const std::string& name, const std::string& help);

void register_cluster(CLI::App& app, Context& ctx);
void register_topic(CLI::App& app, Context& ctx);
void register_group(CLI::App& app, Context& ctx);
void register_completion(CLI::App& app, Context& ctx);

// Prints a table, or the JSON value as JSON or YAML, to stdout.
void emit(const Context& ctx, const Table& table, const nlohmann::json& json);
// Prints only the structured form (JSON or YAML); for commands whose table form is printed by hand.
void emit_structured(const Context& ctx, const nlohmann::json& json);

}  // namespace samsa::cli
