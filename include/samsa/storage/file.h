#pragma once
// Low-level file helpers: an owned file descriptor shared by readers (sendfile slices keep it alive after the
// segment was deleted or rolled), positional I/O that loops over short transfers, and atomic small-file writes.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "samsa/base/result.h"
#include "samsa/storage/errc.h"

namespace samsa::storage {

// Maps an errno value to a storage error: ENOSPC/EDQUOT -> disk_full, anything else -> io_error.
std::error_code errno_to_error(int err) noexcept;

class segment_file {
 public:
  // Opens (creating when `create`) a file read-write. Fails with disk_full / io_error.
  static result<std::shared_ptr<segment_file>> open(const std::filesystem::path& path, bool create);
  ~segment_file();
  segment_file(const segment_file&) = delete;
  segment_file& operator=(const segment_file&) = delete;

  int fd() const noexcept { return fd_; }
  // The path the file was opened under (it may since have been renamed or unlinked).
  const std::filesystem::path& path() const noexcept { return path_; }
  void set_path(std::filesystem::path p) { path_ = std::move(p); }

  // Current size per fstat.
  result<uint64_t> size() const;
  // Reads exactly out.size() bytes at pos; returns the number read (short only at EOF).
  result<size_t> pread_full(uint64_t pos, std::span<uint8_t> out) const;
  std::error_code pwrite_full(uint64_t pos, std::span<const uint8_t> data) const;
  // Writes the iovecs at pos (pwritev, looping over partial writes and IOV_MAX chunks).
  std::error_code pwritev_full(uint64_t pos, const struct iovec* iov, size_t count) const;
  std::error_code truncate(uint64_t size) const;
  std::error_code datasync() const;

 private:
  segment_file(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

// Unlinks a file (a missing file is not an error) / renames one, through the file_ops seam.
std::error_code remove_file(const std::filesystem::path& path);
std::error_code rename_file(const std::filesystem::path& from, const std::filesystem::path& to);
// fsync of a directory (makes renames/creates/unlinks in it durable).
std::error_code fsync_dir(const std::filesystem::path& dir);
// Writes `contents` to `path` atomically and durably: path.tmp, write, fsync, rename, fsync(dir).
std::error_code write_file_atomic(const std::filesystem::path& path, std::string_view contents);
// Whole small file; errc::not_found when it does not exist.
result<std::string> read_small_file(const std::filesystem::path& path);

}  // namespace samsa::storage
