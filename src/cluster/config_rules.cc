#include "samsa/cluster/config_rules.h"

#include <string>

#include "samsa/config/broker_table.h"
#include "samsa/config/topic_table.h"
#include "samsa/config/validate.h"

namespace samsa::cluster {
namespace {

api_error check(const config::key_def& k, std::string_view value) {
  if (auto why = config::validate(k, value)) return {err::invalid_config, std::move(*why)};
  return {};
}

}  // namespace

const config::key_def* alterable_config(resource_type type, std::string_view key) noexcept {
  if (type == resource_type::topic) return config::find_topic_key(key);
  const config::key_def* k = config::find_broker_key(key);
  return k != nullptr && k->mode != config::update_mode::read_only ? k : nullptr;
}

api_error validate_topic_config(std::string_view key, std::string_view value) {
  const config::key_def* k = alterable_config(resource_type::topic, key);
  if (k == nullptr) return {err::invalid_config, "Unknown topic config name: " + std::string(key)};
  return check(*k, value);
}

api_error validate_broker_config(std::string_view key, std::string_view value) {
  const config::key_def* k = alterable_config(resource_type::broker, key);
  if (k == nullptr) return {err::invalid_config, "Unknown or read-only broker config name: " + std::string(key)};
  return check(*k, value);
}

api_error validate_config(resource_type type, std::string_view key, std::string_view value) {
  return type == resource_type::topic ? validate_topic_config(key, value) : validate_broker_config(key, value);
}

}  // namespace samsa::cluster
