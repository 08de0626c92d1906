#pragma once
// samsad's configuration: properties (server.properties and --override) over the defaults of the broker key table
// (samsa/config/broker_table.h), validated key by key, then bound to a server::broker_config.
#include <string>

#include "properties.h"
#include "samsa/base/result.h"
#include "samsa/server/config.h"

namespace samsa::daemon {

// Unknown keys, bad values and inconsistent combinations are errors with a message naming the key(s).
result<server::broker_config> build_broker_config(const properties& props, std::string& error_message);

}  // namespace samsa::daemon
