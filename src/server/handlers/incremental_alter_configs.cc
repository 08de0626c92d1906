// IncrementalAlterConfigs (44), v0-1: SET (0), DELETE (1) per key on a topic's overrides. APPEND (2) and
// SUBTRACT (3) apply to list-valued keys; the only one here is cleanup.policy.
#include "handlers.h"

namespace samsa::server {
namespace {

// Applies one operation to a comma-separated list value.
std::string edit_list(const std::string& current, const std::string& item, bool add) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= current.size()) {
    const size_t comma = current.find(',', start);
    std::string v = current.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!v.empty() && v != item) items.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (add) items.push_back(item);
  std::string out;
  for (const auto& v : items) out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

boost::asio::awaitable<void> handle_incremental_alter_configs(request_context& ctx) {
  protocol::IncrementalAlterConfigsRequest req;
  if (!ctx.decode(req)) co_return;
  broker& b = ctx.b;
  protocol::IncrementalAlterConfigsResponse resp;
  for (const auto& res : req.resources) {
    auto& r = resp.responses.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = res.resource_name;
    if (res.resource_type != 2) {
      r.error_code = kafka_error::invalid_request;
      r.error_message = "only topic configs can be altered; broker configs are static";
      continue;
    }
    config_map overrides = b.topic_configs(res.resource_name);
    for (const auto& c : res.configs) {
      const std::string value = c.value.value_or("");
      switch (c.config_operation) {
        case 0: overrides[c.name] = value; break;
        case 1: overrides.erase(c.name); break;
        case 2:
        case 3: {
          if (c.name != "cleanup.policy") {
            r.error_code = kafka_error::invalid_config;
            r.error_message = "APPEND/SUBTRACT need a list-valued config; " + c.name + " is not one";
            break;
          }
          auto it = overrides.find(c.name);
          const std::string current = it != overrides.end() ? it->second : topic_config_default(b.config(), c.name);
          overrides[c.name] = edit_list(current, value, c.config_operation == 2);
          break;
        }
        default:
          r.error_code = kafka_error::invalid_request;
          r.error_message = "unknown config operation " + std::to_string(c.config_operation);
      }
    }
    if (r.error_code != kafka_error::none) continue;
    std::string message;
    r.error_code = b.set_topic_configs(res.resource_name, overrides, req.validate_only, message);
    if (r.error_code != kafka_error::none) r.error_message = message;
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
