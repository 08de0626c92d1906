#pragma once
// How the generated docs group broker keys: each section's title and an optional intro line, in document order.
#include <string_view>

#include "samsa/config/key.h"

namespace samsa::config {

struct section_info {
  section id;
  std::string_view title;
  std::string_view intro;  // Markdown, one line; "" for none
};

inline constexpr section_info broker_sections[] = {
    {section::node, "Node, listeners and requests", ""},
    {section::controller, "Controller and metadata quorum",
     "See [raft.md](raft.md) and [cluster-metadata.md](cluster-metadata.md)."},
    {section::replication, "Replication", "See [replication.md](replication.md)."},
    {section::log, "Logs", "Most are the broker defaults of topic keys (see [Topic keys](#topic-keys))."},
    {section::group, "Consumer groups", "See [consumer-groups.md](consumer-groups.md) for how they are used."},
};

}  // namespace samsa::config
