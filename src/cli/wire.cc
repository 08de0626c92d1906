#include "wire.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "samsa/protocol/messages/api_versions.h"

namespace samsa::cli {
namespace {

std::vector<std::pair<std::string, std::string>> split_brokers(const std::string& list) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string b = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? list.size() + 1 : comma + 1;
    b.erase(0, b.find_first_not_of(" \t"));
    b.erase(b.find_last_not_of(" \t") + 1);
    if (auto scheme = b.find("://"); scheme != std::string::npos) b = b.substr(scheme + 3);
    if (b.empty()) continue;
    std::string host = b, port = "9092";
    if (b[0] == '[') {  // [v6]:port
      auto close = b.find(']');
      host = b.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      if (close != std::string::npos && close + 1 < b.size() && b[close + 1] == ':') port = b.substr(close + 2);
    } else if (auto colon = b.rfind(':'); colon != std::string::npos) {
      host = b.substr(0, colon);
      port = b.substr(colon + 1);
    }
    out.emplace_back(host, port);
  }
  return out;
}

// Connects with a deadline; returns the socket or -1 with `err` set.
int connect_with_deadline(const std::string& host, const std::string& port, int timeout_ms, std::string& err) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    err = gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms);
      if (rc == 1) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        rc = soerr == 0 ? 0 : -1;
        if (soerr) err = std::strerror(soerr);
      } else {
        rc = -1;
        err = "timed out";
      }
    } else if (rc != 0) {
      err = std::strerror(errno);
    }
    if (rc != 0) {
      close(fd);
      fd = -1;
      continue;
    }
    fcntl(fd, F_SETFL, flags);
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace

std::string kafka_error_name(int16_t code) { return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)); }

WireClient::WireClient(const Connection& c) : conn_(c) {
  for (const auto& [k, v] : c.properties) {
    if (k == "security.protocol") {
      std::string p = v;
      std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (p != "plaintext")
        throw CliError(kUsage, "", "this command speaks PLAINTEXT only (security.protocol=" + v +
                                       "); run it against a PLAINTEXT listener");
    }
  }
  std::string errors;
  for (const auto& [host, port] : split_brokers(c.brokers)) {
    std::string err;
    fd_ = connect_with_deadline(host, port, c.timeout_ms, err);
    if (fd_ >= 0) {
      address_ = host + ":" + port;
      break;
    }
    if (!errors.empty()) errors += "; ";
    errors += host + ":" + port + ": " + err;
  }
  if (fd_ < 0)
    throw CliError(kUnreachable, "_TRANSPORT",
                   "no broker at " + c.brokers + " answered within " + std::to_string(c.timeout_ms / 1000.0).substr(0, 4) +
                       " s (_TRANSPORT: " + errors + "); check -b/--brokers or SAMSA_BROKERS and that the broker is running");
  timeval tv{c.timeout_ms / 1000, (c.timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // ApiVersions v0: understood by every broker, and its response header is always v0.
  auto av = call<protocol::ApiVersionsResponse>(protocol::ApiVersionsRequest{}, 0);
  if (av.error_code)
    throw CliError(kError, kafka_error_name(av.error_code), "ApiVersions to " + address_ + " failed: " + kafka_error_name(av.error_code));
  for (const auto& k : av.api_keys) versions_[k.api_key] = {k.min_version, k.max_version};
}

WireClient::~WireClient() {
  if (fd_ >= 0) close(fd_);
}

std::optional<std::pair<int16_t, int16_t>> WireClient::versions(int16_t api_key) const {
  auto it = versions_.find(api_key);
  if (it == versions_.end()) return std::nullopt;
  return it->second;
}

void WireClient::send_all(const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      throw CliError(kUnreachable, "_TRANSPORT", "sending to " + address_ + " failed: " + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void WireClient::recv_all(uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd_, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      throw CliError(kUnreachable, "_TIMED_OUT",
                     "the broker at " + address_ + " did not answer within the timeout; check the broker or raise --timeout");
    if (r <= 0)
      throw CliError(kUnreachable, "_TRANSPORT",
                     "the broker at " + address_ + " closed the connection (it may not support this request)");
    p += r;
    n -= static_cast<size_t>(r);
  }
}

std::vector<uint8_t> WireClient::roundtrip(const std::vector<uint8_t>& frame, int16_t api_key, int16_t version) {
  send_all(frame.data(), frame.size());
  uint8_t size_buf[4];
  recv_all(size_buf, 4);
  int32_t size = static_cast<int32_t>((uint32_t(size_buf[0]) << 24) | (uint32_t(size_buf[1]) << 16) |
                                      (uint32_t(size_buf[2]) << 8) | uint32_t(size_buf[3]));
  if (size < 4 || size > protocol::default_socket_request_max_bytes)
    throw CliError(kError, "", "bad response frame size " + std::to_string(size) + " from " + address_);
  std::vector<uint8_t> buf(static_cast<size_t>(size));
  recv_all(buf.data(), buf.size());
  protocol::reader r(buf);
  int32_t corr = r.read_int<int32_t>();
  if (corr != correlation_)
    throw CliError(kError, "", "response correlation id " + std::to_string(corr) + " does not match the request's");
  if (protocol::response_header_version(api_key, version) >= 1) {
    uint32_t tags = r.read_uvarint();
    for (uint32_t i = 0; i < tags && r.ok(); ++i) {
      r.read_uvarint();
      r.read_raw(r.read_uvarint());
    }
  }
  if (!r.ok()) throw CliError(kError, "", "truncated response header from " + address_);
  const uint8_t* body = r.position();
  return std::vector<uint8_t>(body, static_cast<const uint8_t*>(buf.data() + buf.size()));
}

}  // namespace samsa::cli
