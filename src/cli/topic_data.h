#pragma once
// samsactl topic's two files: the admin subcommands (topic.cc) and produce/consume (topic_data.cc).
#include <string>
#include <utility>

#include "commands.h"

namespace samsa::cli {

// "key=value" -> (key, value); a usage error naming `what` otherwise.
std::pair<std::string, std::string> split_kv(const std::string& kv, const char* what);
// Adds `topic produce` and `topic consume`.
void add_topic_data_commands(CLI::App& topic, Context& ctx);

}  // namespace samsa::cli
