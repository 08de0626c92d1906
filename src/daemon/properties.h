#pragma once
// Java-properties text (server.properties, meta.properties) as key/value pairs.
#include <map>
#include <string>
#include <string_view>

#include "samsa/base/result.h"

namespace samsa::daemon {

using properties = std::map<std::string, std::string>;

// key=value or key: value lines, # and ! comments, surrounding blanks ignored; a line without a separator is an
// error (invalid_argument).
result<properties> parse_properties(std::string_view text);

}  // namespace samsa::daemon
