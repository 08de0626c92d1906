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
  std::string format_name;  // "" when not given on the command line
  Format format() const { return format_name == "json" ? Format::kJson : Format::kTable; }
  std::function<int()> action;  // set by the chosen subcommand's callback
};

// Adds the options every command accepts (they may appear before or after the verb).
void add_common_options(CLI::App& app, Context& ctx);
CLI::App* add_verb(CLI::App& noun, Context& ctx, const std::string& name, const std::string& help);

void register_cluster(CLI::App& app, Context& ctx);
void register_topic(CLI::App& app, Context& ctx);
void register_group(CLI::App& app, Context& ctx);

// Prints a table or JSON document to stdout.
void emit(const Context& ctx, const Table& table, const nlohmann::json& json);

}  // namespace samsa::cli
