#pragma once
// What a read returns: byte ranges of segment files (zero-copy: the fetch path sends them with sendfile(2)).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/storage/file.h"

namespace samsa::storage {

// A byte range of a segment file, ready for sendfile(2). Holding it keeps the descriptor open even if the
// segment is deleted (retention, truncation) meanwhile.
struct file_slice {
  std::shared_ptr<const segment_file> file;
  int fd() const noexcept { return file->fd(); }
  uint64_t position = 0;
  uint32_t length = 0;
};

struct read_result {
  std::vector<file_slice> slices;
  size_t total_bytes = 0;
  // Copies the slices' bytes into one buffer (tests, small responses).
  result<std::vector<uint8_t>> copy_bytes() const;
};

}  // namespace samsa::storage
