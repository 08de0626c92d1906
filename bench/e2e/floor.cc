// samsa_floor: the least work a broker must do to take produced bytes and keep them, measured on this machine
// beside each broker run (scripts/bench.sh). A sender thread writes a preallocated buffer into a loopback TCP
// socket; the receiver thread read()s it 1 MiB at a time, computes CRC-32C over each chunk (the broker checks every
// batch's CRC) and pwrite()s it at the end of a fresh file (the broker appends to its segment), optionally with
// fdatasync after every chunk (the floor of acks=all). The receiver's own CPU time (CLOCK_THREAD_CPUTIME_ID) per GB
// is the reference for samsad's CPU per GB of produced payload; it moves with the page cache's state, so measure it
// in the same run as the broker, never once for all.
//
// On this project's VMs the page cache's state is most of that cost: the guest hands memory that stayed free for a
// couple of seconds back to the hypervisor (free page reporting), and writing into such pages costs ~3.5 CPU-s per
// GB in the copy into the page cache, against ~0.3 for pages freed a moment ago. A broker's page cache grows into
// the former (its log stays), so `--keep` leaves the file in place, as the broker leaves its segments, and
// scripts/bench.sh lets freed memory settle before each floor and each broker run.
//
//   samsa_floor --dir DIR [--bytes 1073741824] [--chunk 1048576] [--fdatasync] [--keep]
//
// Output: one JSON line on stdout: bytes, seconds, mb_per_s, cpu_s (receiver), cpu_s_per_gb, sender_cpu_s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "samsa/base/crc32c.h"

namespace {

struct options {
  std::string dir = ".";
  uint64_t bytes = 1ull << 30;
  size_t chunk = 1 << 20;
  bool fdatasync = false;
  bool keep = false;  // leave the file (DIR/samsa-floor-PID.dat) for the caller to delete
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "samsa_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "samsa_floor: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir") o.dir = next();
    else if (a == "--bytes") o.bytes = std::stoull(next());
    else if (a == "--chunk") o.chunk = std::stoul(next());
    else if (a == "--fdatasync") o.fdatasync = true;
    else if (a == "--keep") o.keep = true;
    else {
      std::fprintf(stderr, "usage: samsa_floor --dir DIR [--bytes N] [--chunk N] [--fdatasync] [--keep]\n");
      std::exit(2);
    }
  }
  if (o.chunk == 0 || o.bytes == 0) {
    std::fprintf(stderr, "samsa_floor: --bytes and --chunk must be positive\n");
    std::exit(2);
  }
  return o;
}

// Writes `total` bytes of a preallocated buffer into `fd`.
void send_all(int fd, uint64_t total, size_t chunk, double* cpu_out) {
  std::vector<char> buf(chunk, 'x');
  uint64_t sent = 0;
  while (sent < total) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk, total - sent));
    const ssize_t n = ::write(fd, buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("write");
    sent += static_cast<uint64_t>(n);
  }
  *cpu_out = thread_cpu_seconds();
  ::shutdown(fd, SHUT_WR);
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);

  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
  socklen_t len = sizeof addr;
  if (::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) die("getsockname");
  if (::listen(lfd, 1) != 0) die("listen");

  const int cfd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (cfd < 0) die("socket");
  if (::connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
  const int rfd = ::accept(lfd, nullptr, nullptr);
  if (rfd < 0) die("accept");
  const int one = 1;
  ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  const std::string path = o.dir + "/samsa-floor-" + std::to_string(::getpid()) + ".dat";
  const int file = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (file < 0) die("open");

  double sender_cpu = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_seconds();
  std::thread sender(send_all, cfd, o.bytes, o.chunk, &sender_cpu);

  std::vector<char> buf(o.chunk);
  uint64_t received = 0;
  uint32_t crc = 0;
  for (;;) {
    // One chunk: read until it is full or the sender is done, as a broker reads one request frame.
    size_t have = 0;
    while (have < buf.size()) {
      const ssize_t n = ::read(rfd, buf.data() + have, buf.size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die("read");
      if (n == 0) break;
      have += static_cast<size_t>(n);
    }
    if (have == 0) break;
    crc = samsa::crc32c::extend(crc, buf.data(), have);
    size_t done = 0;
    while (done < have) {
      const ssize_t n = ::pwrite(file, buf.data() + done, have - done, static_cast<off_t>(received + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("pwrite");
      done += static_cast<size_t>(n);
    }
    if (o.fdatasync && ::fdatasync(file) != 0) die("fdatasync");
    received += have;
  }
  const double cpu = thread_cpu_seconds() - cpu0;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sender.join();
  ::close(file);
  if (!o.keep) ::unlink(path.c_str());
  ::close(rfd);
  ::close(cfd);
  ::close(lfd);
  if (received != o.bytes) {
    std::fprintf(stderr, "samsa_floor: received %llu of %llu bytes\n", static_cast<unsigned long long>(received),
                 static_cast<unsigned long long>(o.bytes));
    return 1;
  }
  const double gb = static_cast<double>(received) / 1e9;
  std::printf(
      "{\"bytes\": %llu, \"seconds\": %.3f, \"mb_per_s\": %.1f, \"cpu_s\": %.3f, \"cpu_s_per_gb\": %.3f, "
      "\"sender_cpu_s\": %.3f, \"fdatasync\": %s, \"crc\": %u}\n",
      static_cast<unsigned long long>(received), secs, received / 1e6 / secs, cpu, cpu / gb, sender_cpu,
      o.fdatasync ? "true" : "false", crc);
  std::fprintf(stderr, "floor: %.0f MB/s, receiver %.3f CPU-s per GB%s\n", received / 1e6 / secs, cpu / gb,
               o.fdatasync ? " (fdatasync per chunk)" : "");
  return 0;
}
