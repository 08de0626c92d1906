#pragma once
// sim_disk: a recording file_ops double that models a disk under a page cache, for one directory.
//
// Every call still reaches the real file system (which plays the page cache: what a live process sees), and the
// double keeps, per inode, the content that is durable ("on the platter") and the writes/truncations made since
// the last completed fsync/fdatasync of that inode; for the directory it keeps the name -> inode table as of the
// last fsync of the directory. Syncs are recorded, not performed (the test does not need real durability, and
// skipping them keeps thousands of iterations fast).
//
// Failure injection, counted over the calls that change or sync something (open, pwritev, ftruncate,
// fdatasync, fsync, fsync_dir, rename, unlink -- close is never refused):
//   crash_at(n)    the n-th call and every later one fail with EIO: the process is dead from that point on. The
//                  image of the directory at that moment is captured according to the mode:
//                    power_loss     durable directory entries with durable contents only;
//                    torn           same, but each file additionally keeps a random prefix of its unsynced
//                                   operations, the last one possibly cut short (what a real disk may do);
//                    process_crash  everything the process did (the OS survives).
//   fail_at(n)     only the n-th call fails with EIO (an I/O error the process survives).
// restore(dir, image) then replaces the directory's files with the image ("reboot").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "samsa/storage/file_ops.h"

namespace samsa::storage::testing {

class sim_disk final : public file_ops {
 public:
  enum class mode { power_loss, torn, process_crash };
  using image_t = std::map<std::string, std::vector<uint8_t>>;

  // Everything already in `dir` counts as durable.
  sim_disk(std::filesystem::path dir, uint64_t seed) : dir_(std::filesystem::absolute(dir).lexically_normal()), rng_(seed) {
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (!e.is_regular_file()) continue;
      int id = inode_of_path(e.path().c_str(), /*create=*/true);
      inodes_[id].durable = read_whole(e.path());
      durable_dir_[e.path().filename().string()] = id;
    }
  }

  void crash_at(uint64_t n, mode m) {
    std::lock_guard l(mu_);
    crash_at_ = n;
    mode_ = m;
  }
  void fail_at(uint64_t n) {
    std::lock_guard l(mu_);
    fail_at_ = n;
  }
  // Crashes now (between two calls).
  void crash_now(mode m) {
    std::lock_guard l(mu_);
    mode_ = m;
    if (!dead_) crash_locked();
  }
  bool crashed() const {
    std::lock_guard l(mu_);
    return dead_;
  }
  uint64_t ops() const {
    std::lock_guard l(mu_);
    return ops_;
  }
  uint64_t syncs() const {
    std::lock_guard l(mu_);
    return syncs_;
  }
  const image_t& image() const { return image_; }

  // Replaces every file of `dir` with the image.
  static void restore(const std::filesystem::path& dir, const image_t& img) {
    std::vector<std::filesystem::path> doomed;
    for (const auto& e : std::filesystem::directory_iterator(dir)) doomed.push_back(e.path());
    for (const auto& p : doomed) std::filesystem::remove_all(p);
    for (const auto& [name, bytes] : img) {
      int fd = ::open((dir / name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) throw std::runtime_error("restore: open " + name);
      size_t done = 0;
      while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) throw std::runtime_error("restore: write " + name);
        done += static_cast<size_t>(n);
      }
      ::close(fd);
    }
  }

  // --- file_ops ---
  int open(const char* path, int flags, mode_t m) override {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    const bool existed = ::access(path, F_OK) == 0;
    int fd = ::open(path, flags, m);
    if (fd < 0 || !in_dir(path)) return fd;
    int id = inode_of_fd(fd);
    fds_[fd] = id;
    if (existed && (flags & O_TRUNC)) inodes_[id].pending.push_back({op::trunc, 0, {}});
    return fd;
  }
  int close(int fd) override {
    std::lock_guard l(mu_);
    fds_.erase(fd);
    return ::close(fd);
  }
  ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t pos) override {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    ssize_t n = ::pwritev(fd, iov, iovcnt, pos);
    auto it = fds_.find(fd);
    if (n > 0 && it != fds_.end()) {
      op o{op::write, static_cast<uint64_t>(pos), {}};
      size_t left = static_cast<size_t>(n);
      for (int i = 0; i < iovcnt && left > 0; ++i) {
        size_t take = std::min(left, iov[i].iov_len);
        auto* b = static_cast<const uint8_t*>(iov[i].iov_base);
        o.data.insert(o.data.end(), b, b + take);
        left -= take;
      }
      inodes_[it->second].pending.push_back(std::move(o));
    }
    return n;
  }
  int ftruncate(int fd, off_t size) override {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    int rc = ::ftruncate(fd, size);
    auto it = fds_.find(fd);
    if (rc == 0 && it != fds_.end()) inodes_[it->second].pending.push_back({op::trunc, static_cast<uint64_t>(size), {}});
    return rc;
  }
  int fdatasync(int fd) override { return sync_fd(fd); }
  int fsync(int fd) override { return sync_fd(fd); }
  int fsync_dir(const char* path) override {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    if (std::filesystem::path(path).lexically_normal() != dir_ &&
        std::filesystem::absolute(path).lexically_normal() != dir_)
      return 0;
    ++syncs_;
    durable_dir_.clear();
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (!e.is_regular_file()) continue;
      durable_dir_[e.path().filename().string()] = inode_of_path(e.path().c_str(), true);
    }
    return 0;
  }
  int rename(const char* from, const char* to) override {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    struct stat st;
    const bool replaces = ::stat(to, &st) == 0;
    int rc = ::rename(from, to);
    if (rc == 0 && replaces) live_.erase({st.st_dev, st.st_ino});  // the replaced inode lost its last link
    return rc;
  }
  int unlink(const char* path) override {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    struct stat st;
    const bool exists = ::stat(path, &st) == 0;
    int rc = ::unlink(path);
    if (rc == 0 && exists) live_.erase({st.st_dev, st.st_ino});
    return rc;
  }

 private:
  struct op {
    enum kind_t { write, trunc } kind;
    uint64_t pos;  // write position / new size
    std::vector<uint8_t> data;
  };
  struct inode {
    std::vector<uint8_t> durable;
    std::vector<op> pending;
  };

  static void apply(std::vector<uint8_t>& content, const op& o, size_t limit = SIZE_MAX) {
    if (o.kind == op::trunc) {
      content.resize(o.pos);
      return;
    }
    size_t n = std::min(limit, o.data.size());
    if (content.size() < o.pos + n) content.resize(o.pos + n);
    std::memcpy(content.data() + o.pos, o.data.data(), n);
  }
  static std::vector<uint8_t> read_whole(const std::filesystem::path& p) {
    std::vector<uint8_t> out;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    uint8_t buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
  }

  bool in_dir(const char* path) const {
    return std::filesystem::absolute(path).lexically_normal().parent_path() == dir_;
  }
  int new_inode() {
    int id = next_id_++;
    inodes_[id];
    return id;
  }
  int inode_of_fd(int fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return new_inode();
    auto [it, fresh] = live_.try_emplace({st.st_dev, st.st_ino}, 0);
    if (fresh) it->second = new_inode();
    return it->second;
  }
  int inode_of_path(const char* path, bool create) {
    struct stat st;
    if (::stat(path, &st) != 0) return new_inode();
    auto [it, fresh] = live_.try_emplace({st.st_dev, st.st_ino}, 0);
    if (fresh) {
      if (!create) return -1;
      it->second = new_inode();
    }
    return it->second;
  }

  int sync_fd(int fd) {
    std::lock_guard l(mu_);
    if (!step()) return fail();
    auto it = fds_.find(fd);
    if (it == fds_.end()) return 0;
    ++syncs_;
    auto& ino = inodes_[it->second];
    for (const auto& o : ino.pending) apply(ino.durable, o);
    ino.pending.clear();
    return 0;
  }

  // Counts a call; false when it must fail.
  bool step() {
    if (dead_) return false;
    ++ops_;
    if (crash_at_ && ops_ == crash_at_) {
      crash_locked();
      return false;
    }
    return !(fail_at_ && ops_ == fail_at_);
  }
  static int fail() {
    errno = EIO;
    return -1;
  }

  void crash_locked() {
    dead_ = true;
    image_.clear();
    if (mode_ == mode::process_crash) {
      for (const auto& e : std::filesystem::directory_iterator(dir_))
        if (e.is_regular_file()) image_[e.path().filename().string()] = read_whole(e.path());
      return;
    }
    for (const auto& [name, id] : durable_dir_) {
      const auto& ino = inodes_[id];
      auto content = ino.durable;
      if (mode_ == mode::torn && !ino.pending.empty()) {
        size_t k = rng_() % (ino.pending.size() + 1);
        for (size_t i = 0; i < k; ++i) apply(content, ino.pending[i]);
        if (k < ino.pending.size() && ino.pending[k].kind == op::write && rng_() % 2)
          apply(content, ino.pending[k], rng_() % (ino.pending[k].data.size() + 1));  // a torn write
      }
      image_[name] = std::move(content);
    }
  }

  const std::filesystem::path dir_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  mode mode_ = mode::power_loss;
  uint64_t ops_ = 0, syncs_ = 0, crash_at_ = 0, fail_at_ = 0;
  bool dead_ = false;
  int next_id_ = 1;
  std::map<int, inode> inodes_;
  std::map<std::pair<dev_t, ino_t>, int> live_;  // linked inodes of the directory
  std::map<int, int> fds_;                       // open descriptors of the directory's files
  std::map<std::string, int> durable_dir_;       // the directory as of its last fsync
  image_t image_;
};

// Where simulated-disk tests keep their files: /dev/shm when usable (the real disk plays no part in what they
// check, and a loaded disk makes thousands of create/rename/unlink cycles slow), else the temp directory.
inline std::filesystem::path sim_temp_root() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

// Installs a file_ops for the scope.
struct scoped_file_ops {
  file_ops* prev;
  explicit scoped_file_ops(file_ops* ops) : prev(set_file_ops(ops)) {}
  ~scoped_file_ops() { set_file_ops(prev); }
};

}  // namespace samsa::storage::testing
