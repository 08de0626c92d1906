#pragma once
// The OS seam of the storage engine: every system call that changes a file or a directory, or makes a change
// durable, goes through file_ops (reads -- pread, fstat, directory listings -- call the OS directly). Production
// uses the default implementation, which forwards to the system calls: the cost is one indirect call per
// syscall. Tests install a recording double (tests/storage/sim_disk.h) that models the page cache versus the
// disk, so a simulated power loss drops every write not covered by a completed fdatasync/fsync of its file and
// every directory change not covered by an fsync of the directory.
//
// The calls have syscall conventions: -1 (or a negative count) with errno set on failure.
#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>

namespace samsa::storage {

class file_ops {
 public:
  virtual ~file_ops() = default;
  virtual int open(const char* path, int flags, mode_t mode);
  virtual int close(int fd);
  virtual ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t pos);
  virtual int ftruncate(int fd, off_t size);
  virtual int fdatasync(int fd);
  virtual int fsync(int fd);
  // Opens the directory, fsyncs it, closes it.
  virtual int fsync_dir(const char* path);
  virtual int rename(const char* from, const char* to);
  virtual int unlink(const char* path);
};

namespace detail {
extern std::atomic<file_ops*> current_file_ops;
}

// The file_ops in effect.
inline file_ops& os() noexcept { return *detail::current_file_ops.load(std::memory_order_acquire); }
// Installs `ops` (nullptr: the real OS) and returns the previous one. For tests: install before opening logs and
// keep it alive until they are closed.
file_ops* set_file_ops(file_ops* ops) noexcept;

}  // namespace samsa::storage
