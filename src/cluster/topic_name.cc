#include "samsa/cluster/topic_name.h"

#include <algorithm>
#include <cctype>

namespace samsa::cluster {

api_error validate_topic_name(std::string_view name) {
  if (name.empty()) return {err::invalid_topic_exception, "Topic name is illegal, it can't be empty"};
  if (name == "." || name == "..")
    return {err::invalid_topic_exception, "Topic name cannot be \".\" or \"..\""};
  if (name.size() > 249)
    return {err::invalid_topic_exception,
            "Topic name is illegal, it can't be longer than 249 characters, topic name: " + std::string(name)};
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return {err::invalid_topic_exception,
              "Topic name \"" + std::string(name) +
                  "\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"};
  }
  return {};
}

std::string collision_key(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

}  // namespace samsa::cluster
