#pragma once
// The address-valued keys: listeners / advertised.listeners (NAME://host:port,...) and controller.quorum.voters
// (id@host:port,...). One parser serves both the key's validator and the daemon that turns the value into
// endpoints, so what validates is exactly what parses.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace samsa::config {

struct listener {
  std::string name;  // e.g. PLAINTEXT, CONTROLLER
  std::string host;  // without IPv6 brackets; may be empty (all interfaces)
  uint16_t port = 0;
};

struct voter {
  int32_t id = -1;
  std::string host;
  uint16_t port = 0;
};

// Blank items are skipped; nullopt when an item is malformed.
std::optional<std::vector<listener>> parse_listeners(std::string_view value);
std::optional<std::vector<voter>> parse_voters(std::string_view value);

// Validators (see key.h check::custom): why the value does not parse, or nullopt.
std::optional<std::string> check_listeners(std::string_view value);
std::optional<std::string> check_voters(std::string_view value);

}  // namespace samsa::config
