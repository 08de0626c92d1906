#include "handlers.h"

namespace samsa::server {
namespace {

// Version ranges: ../docs/protocol.md and COMPAT §4. Every version listed here is implemented completely.
constexpr api_handler kHandlers[] = {
    {0, 3, 7, handle_produce},            // Produce: 3 (magic 2) .. 7 (zstd)
    {1, 4, 11, handle_fetch},             // Fetch: 4 .. 11
    {2, 1, 5, handle_list_offsets},       // ListOffsets
    {3, 0, 8, handle_metadata},           // Metadata
    {18, 0, 3, handle_api_versions},      // ApiVersions
    {19, 0, 4, handle_create_topics},     // CreateTopics
    {20, 0, 3, handle_delete_topics},     // DeleteTopics
    {37, 0, 1, handle_create_partitions}, // CreatePartitions
};

}  // namespace

std::span<const api_handler> api_handlers() noexcept { return kHandlers; }

const api_handler* find_handler(int16_t key) noexcept {
  for (const auto& h : kHandlers)
    if (h.key == key) return &h;
  return nullptr;
}

}  // namespace samsa::server
