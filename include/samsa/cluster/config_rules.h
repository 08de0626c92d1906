#pragma once
// Which config keys CreateTopics / AlterConfigs / IncrementalAlterConfigs may set on a resource, and whether a value
// is good, as the controller answers: ok() or INVALID_CONFIG with Kafka's message. The keys, their types and
// validators are declared once in samsa/config (topic_table.h, broker_table.h).
#include <string_view>

#include "samsa/cluster/records.h"
#include "samsa/cluster/types.h"
#include "samsa/config/key.h"

namespace samsa::cluster {

// The key as settable on a resource of `type`: any topic key; for brokers only the dynamic keys. nullptr otherwise.
const config::key_def* alterable_config(resource_type type, std::string_view key) noexcept;

api_error validate_topic_config(std::string_view key, std::string_view value);
api_error validate_broker_config(std::string_view key, std::string_view value);
api_error validate_config(resource_type type, std::string_view key, std::string_view value);

}  // namespace samsa::cluster
