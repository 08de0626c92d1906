#include "samsa/storage/file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <spdlog/spdlog.h>

#include "samsa/storage/file_ops.h"

namespace samsa::storage {

// ---------------------------------------------------------------------------------------------------------------
// file_ops: the real OS
// ---------------------------------------------------------------------------------------------------------------

int file_ops::open(const char* path, int flags, mode_t mode) { return ::open(path, flags, mode); }
int file_ops::close(int fd) { return ::close(fd); }
ssize_t file_ops::pwritev(int fd, const struct iovec* iov, int iovcnt, off_t pos) {
  return ::pwritev(fd, iov, iovcnt, pos);
}
int file_ops::ftruncate(int fd, off_t size) { return ::ftruncate(fd, size); }
int file_ops::fdatasync(int fd) { return ::fdatasync(fd); }
int file_ops::fsync(int fd) { return ::fsync(fd); }
int file_ops::fsync_dir(const char* path) {
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  errno = e;
  return rc;
}
int file_ops::rename(const char* from, const char* to) { return ::rename(from, to); }
int file_ops::unlink(const char* path) { return ::unlink(path); }

namespace {
file_ops real_os;
}  // namespace

namespace detail {
std::atomic<file_ops*> current_file_ops{&real_os};
}

file_ops* set_file_ops(file_ops* ops) noexcept {
  return detail::current_file_ops.exchange(ops ? ops : &real_os, std::memory_order_acq_rel);
}

std::error_code remove_file(const std::filesystem::path& path) {
  if (os().unlink(path.c_str()) != 0 && errno != ENOENT) return errno_to_error(errno);
  return {};
}

std::error_code rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (os().rename(from.c_str(), to.c_str()) != 0) return errno_to_error(errno);
  return {};
}

std::error_code errno_to_error(int err) noexcept {
  if (err == ENOSPC || err == EDQUOT) return make_error_code(errc::disk_full);
  return make_error_code(errc::io_error);
}

result<std::shared_ptr<segment_file>> segment_file::open(const std::filesystem::path& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = os().open(path.c_str(), flags, 0644);
  if (fd < 0) {
    int e = errno;
    spdlog::error("storage: open {} failed: {}", path.string(), std::strerror(e));
    return errno_to_error(e);
  }
  return std::shared_ptr<segment_file>(new segment_file(fd, path));
}

segment_file::~segment_file() {
  if (fd_ >= 0) os().close(fd_);
}

result<uint64_t> segment_file::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno_to_error(errno);
  return static_cast<uint64_t>(st.st_size);
}

result<size_t> segment_file::pread_full(uint64_t pos, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(pos + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_to_error(errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

std::error_code segment_file::pwrite_full(uint64_t pos, std::span<const uint8_t> data) const {
  struct iovec iov{const_cast<uint8_t*>(data.data()), data.size()};
  return pwritev_full(pos, &iov, 1);
}

std::error_code segment_file::pwritev_full(uint64_t pos, const struct iovec* iov_in, size_t count) const {
  // Copy so partial writes can advance the vector.
  constexpr size_t kChunk = IOV_MAX;
  struct iovec local[64];
  std::vector<struct iovec> heap;
  struct iovec* iov = local;
  if (count > 64) {
    heap.assign(iov_in, iov_in + count);
    iov = heap.data();
  } else {
    std::copy(iov_in, iov_in + count, local);
  }
  size_t i = 0;
  while (i < count) {
    if (iov[i].iov_len == 0) { ++i; continue; }
    int n_iov = static_cast<int>(std::min(kChunk, count - i));
    ssize_t n = os().pwritev(fd_, iov + i, n_iov, static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_to_error(errno);
    }
    if (n == 0) return make_error_code(errc::io_error);
    pos += static_cast<uint64_t>(n);
    size_t left = static_cast<size_t>(n);
    while (left > 0 && i < count) {
      if (left >= iov[i].iov_len) {
        left -= iov[i].iov_len;
        ++i;
      } else {
        iov[i].iov_base = static_cast<uint8_t*>(iov[i].iov_base) + left;
        iov[i].iov_len -= left;
        left = 0;
      }
    }
  }
  return {};
}

std::error_code segment_file::truncate(uint64_t size) const {
  while (os().ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    if (errno == EINTR) continue;
    return errno_to_error(errno);
  }
  return {};
}

std::error_code segment_file::datasync() const {
  if (os().fdatasync(fd_) != 0) {
    int e = errno;
    spdlog::error("storage: fdatasync {} failed: {}", path_.string(), std::strerror(e));
    return make_error_code(errc::io_error);
  }
  return {};
}

std::error_code fsync_dir(const std::filesystem::path& dir) {
  if (os().fsync_dir(dir.c_str()) != 0) {
    int e = errno;
    spdlog::error("storage: fsync of directory {} failed: {}", dir.string(), std::strerror(e));
    return e == ENOENT ? errno_to_error(e) : make_error_code(errc::io_error);
  }
  return {};
}

std::error_code write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = os().open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_to_error(errno);
  auto fail = [&](int e) {
    os().close(fd);
    os().unlink(tmp.c_str());
    return errno_to_error(e);
  };
  size_t done = 0;
  while (done < contents.size()) {
    struct iovec iov{const_cast<char*>(contents.data()) + done, contents.size() - done};
    ssize_t n = os().pwritev(fd, &iov, 1, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    if (n == 0) return fail(EIO);
    done += static_cast<size_t>(n);
  }
  if (os().fsync(fd) != 0) {
    int e = errno;
    spdlog::error("storage: fsync {} failed: {}", tmp.string(), std::strerror(e));
    return fail(e);
  }
  os().close(fd);
  if (os().rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    os().unlink(tmp.c_str());
    return errno_to_error(e);
  }
  return fsync_dir(path.parent_path());
}

result<std::string> read_small_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error_code(errc::not_found);
    return errno_to_error(errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return errno_to_error(e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace samsa::storage
