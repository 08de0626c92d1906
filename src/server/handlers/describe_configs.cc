// DescribeConfigs (32), v0-2: topic resources (type 2) with every topic key of the key table, its value (override,
// else the broker's value of its synonym, else the key's default), source (DYNAMIC_TOPIC_CONFIG 1,
// STATIC_BROKER_CONFIG 4 when the synonym was set at start-up, DEFAULT_CONFIG 5) and, when asked (v1+), synonyms;
// broker resources (type 4, name = node id) with every broker key samsad read at start-up, read-only.
#include "handlers.h"
#include "samsa/cluster/image.h"
#include "samsa/config/broker_table.h"
#include "samsa/config/topic_table.h"
#include "samsa/server/topic_config.h"

namespace samsa::server {
namespace {

constexpr int8_t resource_topic = 2;
constexpr int8_t resource_broker = 4;
constexpr int8_t source_dynamic_topic = 1;
constexpr int8_t source_static_broker = 4;
constexpr int8_t source_default = 5;

bool wanted(const std::optional<std::vector<std::string>>& keys, std::string_view name) {
  if (!keys || keys->empty()) return true;
  for (const auto& k : *keys)
    if (k == name) return true;
  return false;
}

}  // namespace

boost::asio::awaitable<void> handle_describe_configs(request_context& ctx) {
  protocol::DescribeConfigsRequest req;
  if (!ctx.decode(req)) co_return;
  const int16_t v = ctx.version();
  services& b = ctx.s;
  protocol::DescribeConfigsResponse resp;
  for (const auto& res : req.resources) {
    auto& r = resp.results.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = res.resource_name;
    if (res.resource_type == resource_topic) {
      if (b.image().topic(res.resource_name) == nullptr) {
        r.error_code = kafka_error::unknown_topic_or_partition;
        r.error_message = "topic '" + res.resource_name + "' does not exist";
        continue;
      }
      const auto* set = b.image().configs(cluster::resource_type::topic, res.resource_name);
      const cluster::config_map overrides = set ? *set : cluster::config_map{};
      for (const config::key_def& key : config::topic_table) {
        if (!wanted(res.configuration_keys, key.name)) continue;
        auto& c = r.configs.emplace_back();
        c.name = std::string(key.name);
        auto it = overrides.find(c.name);
        const topic_default fallback = topic_config_default(b.config, key);
        const int8_t fallback_source = fallback.broker_set ? source_static_broker : source_default;
        c.value = it != overrides.end() ? it->second : fallback.value;
        c.config_source = it != overrides.end() ? source_dynamic_topic : fallback_source;
        c.is_default = c.config_source == source_default;
        if (v >= 1 && req.include_synonyms) {
          if (it != overrides.end()) c.synonyms.push_back({c.name, it->second, source_dynamic_topic, {}});
          if (!key.synonym.empty())
            c.synonyms.push_back({std::string(key.synonym), fallback.value, fallback_source, {}});
        }
      }
    } else if (res.resource_type == resource_broker) {
      if (res.resource_name != std::to_string(b.config.node_id) && !res.resource_name.empty()) {
        r.error_code = kafka_error::invalid_request;
        r.error_message = "this broker is node " + std::to_string(b.config.node_id);
        continue;
      }
      for (const config::key_def& key : config::broker_table) {
        const auto setting = b.config.settings.find(std::string(key.name));
        if (setting == b.config.settings.end() || !wanted(res.configuration_keys, key.name)) continue;
        const auto& [name, value] = *setting;
        auto& c = r.configs.emplace_back();
        c.name = name;
        const bool set = b.config.explicitly_set.count(name) > 0;
        c.value = value;
        // Read-only even for the keys the controller could change: AlterConfigs and IncrementalAlterConfigs refuse
        // broker resources (INVALID_REQUEST), so no client can change a broker key at runtime yet.
        c.read_only = true;
        c.is_default = !set;
        c.config_source = set ? source_static_broker : source_default;
        if (v >= 1 && req.include_synonyms) c.synonyms.push_back({c.name, *c.value, c.config_source, {}});
      }
    } else {
      r.error_code = kafka_error::invalid_request;
      r.error_message = "only topic (2) and broker (4) resources are supported";
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
