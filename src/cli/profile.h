// samsactl's profile file: default brokers, client properties, timeout and output format, read from
// $SAMSACTL_CONFIG or ~/.config/samsa/samsactl.toml ($XDG_CONFIG_HOME honoured). The file is a small TOML subset:
//
//   # comment
//   brokers = "kafka-1:9092,kafka-2:9092"
//   timeout = 5            # seconds
//   format = "table"       # table | json | yaml
//   [properties]           # librdkafka client properties (-X on the command line overrides them)
//   security.protocol = "SASL_SSL"
//   "sasl.mechanism" = 'PLAIN'
//
// Values are basic "strings" (with \" \\ \n \t \uXXXX escapes), 'literal strings', integers, floats and booleans;
// keys are bare (dots nest, as in TOML) or quoted; [table] headers nest. Arrays and inline tables are refused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace samsa::cli {

// Parses the subset into flattened dotted keys ("properties.security.protocol" -> "SASL_SSL"); values are kept as
// text (numbers and booleans in their TOML spelling). Throws CliError(kUsage) naming `origin`:line on bad input.
std::map<std::string, std::string> parse_toml_subset(const std::string& text, const std::string& origin);

struct Profile {
  std::string path;  // empty when no file was read
  std::optional<std::string> brokers, format;
  std::optional<double> timeout_s;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<std::string> warnings;  // unknown keys
};

// Where the profile is looked for: $SAMSACTL_CONFIG, else $XDG_CONFIG_HOME/samsa/samsactl.toml, else
// ~/.config/samsa/samsactl.toml.
std::string profile_path();

// Reads the profile. A missing default file is an empty profile; a missing $SAMSACTL_CONFIG file is an error.
Profile load_profile();
Profile profile_from_text(const std::string& text, const std::string& origin);

}  // namespace samsa::cli
