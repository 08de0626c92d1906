#include "samsa/config/endpoints.h"

#include "samsa/config/value.h"

namespace samsa::config {
namespace {

// host:port, host may be an [IPv6] literal.
bool parse_host_port(std::string_view s, std::string& host, uint16_t& port) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const auto p = parse_int<uint16_t>(s.substr(colon + 1));
  if (!p) return false;
  host = std::string(h);
  port = *p;
  return true;
}

}  // namespace

std::optional<std::vector<listener>> parse_listeners(std::string_view value) {
  std::vector<listener> out;
  for (auto item : split_list(value)) {
    if (item.empty()) continue;
    const auto sep = item.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    listener l;
    l.name = std::string(item.substr(0, sep));
    if (!parse_host_port(item.substr(sep + 3), l.host, l.port)) return std::nullopt;
    out.push_back(std::move(l));
  }
  return out;
}

std::optional<std::vector<voter>> parse_voters(std::string_view value) {
  std::vector<voter> out;
  for (auto item : split_list(value)) {
    if (item.empty()) continue;
    const auto at = item.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    voter v;
    const auto id = parse_int<int32_t>(item.substr(0, at));
    if (!id || *id < 0 || !parse_host_port(item.substr(at + 1), v.host, v.port)) return std::nullopt;
    v.id = *id;
    out.push_back(std::move(v));
  }
  return out;
}

std::optional<std::string> check_listeners(std::string_view value) {
  if (!parse_listeners(value)) return "expected NAME://host:port[,...]";
  return std::nullopt;
}

std::optional<std::string> check_voters(std::string_view value) {
  if (!parse_voters(value)) return "expected id@host:port[,...]";
  return std::nullopt;
}

}  // namespace samsa::config
