#pragma once
// Storage error codes. Every fallible storage call returns samsa::result<T> or std::error_code with these (or a
// std::generic_category errno code wrapped as io_error when the detail matters, see io_error()).
#include <string>
#include <system_error>
#include <type_traits>

namespace samsa::storage {

enum class errc {
  out_of_range = 1,   // offset outside [log_start_offset, log_end_offset]
  corrupt,            // data that was fsynced (below the recovery point) fails its CRC or is missing
  io_error,           // a read/write/open/rename failed (not ENOSPC)
  disk_full,          // ENOSPC / EDQUOT while appending or creating a segment; the log stays usable
  log_failed,         // a previous fsync (or an unrecoverable write) failed: the log refuses writes until reopened
  invalid_batch,      // the batch given to append() is not a complete v2 batch header
  invalid_argument,   // bad config, bad name, bad offset argument
  not_found,          // log_manager: no such partition
  closed,             // the log or manager was closed / removed
};

const std::error_category& storage_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace samsa::storage

template <>
struct std::is_error_code_enum<samsa::storage::errc> : std::true_type {};
