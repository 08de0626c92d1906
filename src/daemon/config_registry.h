#pragma once
// Every broker configuration key samsad understands: Kafka's name, Kafka's default, a one-line doc. The
// registry is the single place keys are declared; docs/configuration.md is checked against it by a test.
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "samsa/base/result.h"
#include "samsa/server/config.h"

namespace samsa::daemon {

struct config_key {
  std::string_view name;
  std::string_view default_value;
  std::string_view doc;
};

std::span<const config_key> config_keys() noexcept;

using properties = std::map<std::string, std::string>;

// Parses Java-properties text (key=value or key: value lines, # and ! comments).
result<properties> parse_properties(std::string_view text);

// Builds the broker configuration from properties over the defaults. Unknown keys and bad values are errors
// with a message naming the key.
result<server::broker_config> build_broker_config(const properties& props, std::string& error_message);

}  // namespace samsa::daemon
