#pragma once
// Per-topic configuration overrides as the broker applies them: how they combine with the broker defaults into a
// storage::log_config and a partition's limits, and what a topic without an override gets. The overrides live in
// the metadata log and are validated by the controller (src/cluster/config_rules.cc); the keys are declared in
// samsa/config/topic_table.h.
#include <map>
#include <string>
#include <string_view>

#include "samsa/config/key.h"
#include "samsa/replica/record_checks.h"
#include "samsa/server/config.h"
#include "samsa/storage/log_config.h"

namespace samsa::server {

using config_map = std::map<std::string, std::string>;

// A topic key's value when the topic has no override: the broker's value of the key's synonym (e.g.
// log.retention.ms for retention.ms) when samsad reads that broker key, else the topic key's own default.
struct topic_default {
  std::string value;
  bool broker_set = false;  // the synonym was set in server.properties / --override (else a default)
};
topic_default topic_config_default(const broker_config& broker, const config::key_def& topic_key);

// Broker defaults with the topic's overrides applied (all overrides must be valid).
storage::log_config effective_log_config(const broker_config& broker, const config_map& overrides);
int32_t effective_max_message_bytes(const broker_config& broker, const config_map& overrides);
int32_t effective_min_insync_replicas(const broker_config& broker, const config_map& overrides);
// What each produced record must satisfy: cleanup.policy, message.timestamp.type and
// message.timestamp.before/after.max.ms (topic override, else the broker's log.* synonym, else Kafka's default).
replica::record_rules effective_record_rules(const broker_config& broker, const config_map& overrides);

}  // namespace samsa::server
