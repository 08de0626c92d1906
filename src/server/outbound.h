#pragma once
// A response on its way out: memory chunks and file slices, written in order. File slices go to the socket
// with sendfile(2), so fetched record bytes are never copied through user space.
#include <variant>
#include <vector>

#include "samsa/storage/partition_log.h"

namespace samsa::server {

using outbound_part = std::variant<std::vector<uint8_t>, storage::file_slice>;

struct outbound {
  std::vector<outbound_part> parts;
  bool no_response = false;  // produce with acks=0
  bool close_after = false;  // protocol violation: close the connection instead of answering
  bool ready = false;
};

}  // namespace samsa::server
