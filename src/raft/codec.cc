#include "samsa/raft/codec.h"

#include "samsa/base/endian.h"
#include "samsa/raft/errc.h"

namespace samsa::raft::codec {
namespace {

constexpr uint8_t message_version = 1;

void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void put_u32(std::string& out, uint32_t v) {
  uint8_t b[4];
  be::store(b, v);
  out.append(reinterpret_cast<const char*>(b), 4);
}
void put_u64(std::string& out, uint64_t v) {
  uint8_t b[8];
  be::store(b, v);
  out.append(reinterpret_cast<const char*>(b), 8);
}
void put_bytes(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// A cursor that records the first out-of-bounds read instead of performing it.
struct reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;
  const uint8_t* take(size_t n) {
    if (!ok || in.size() - pos < n) {
      ok = false;
      return nullptr;
    }
    auto p = reinterpret_cast<const uint8_t*>(in.data() + pos);
    pos += n;
    return p;
  }
  uint8_t u8() {
    auto p = take(1);
    return p ? *p : 0;
  }
  uint32_t u32() {
    auto p = take(4);
    return p ? be::load<uint32_t>(p) : 0;
  }
  uint64_t u64() {
    auto p = take(8);
    return p ? be::load<uint64_t>(p) : 0;
  }
  std::string bytes() {
    uint32_t n = u32();
    auto p = take(n);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }
};

entry get_entry(reader& r) {
  entry e;
  e.term = r.u64();
  e.index = r.u64();
  e.data = r.bytes();
  return e;
}

void put_snapshot(std::string& out, const snapshot& s) {
  put_u64(out, s.index);
  put_u64(out, s.term);
  put_bytes(out, s.data);
}

snapshot get_snapshot(reader& r) {
  snapshot s;
  s.index = r.u64();
  s.term = r.u64();
  s.data = r.bytes();
  return s;
}

}  // namespace

void append_entry(std::string& out, const entry& e) {
  put_u64(out, e.term);
  put_u64(out, e.index);
  put_bytes(out, e.data);
}

result<entry> read_entry(std::string_view bytes, size_t& pos) {
  reader r{bytes, pos};
  entry e = get_entry(r);
  if (!r.ok) return errc::corrupt;
  pos = r.pos;
  return e;
}

std::string encode(const message& m) {
  std::string out;
  put_u8(out, message_version);
  put_u8(out, static_cast<uint8_t>(m.type));
  for (uint64_t v : {m.from, m.to, m.term, m.log_term, m.index, m.commit}) put_u64(out, v);
  put_u8(out, m.reject ? 1 : 0);
  put_u64(out, m.reject_hint);
  put_u32(out, static_cast<uint32_t>(m.entries.size()));
  for (const auto& e : m.entries) append_entry(out, e);
  put_u8(out, m.snap ? 1 : 0);
  if (m.snap) put_snapshot(out, *m.snap);
  return out;
}

result<message> decode_message(std::string_view bytes) {
  reader r{bytes};
  if (r.u8() != message_version) return errc::corrupt;
  message m;
  const uint8_t type = r.u8();
  if (type < static_cast<uint8_t>(msg_type::pre_vote) || type > static_cast<uint8_t>(msg_type::install_snapshot)) {
    return errc::corrupt;
  }
  m.type = static_cast<msg_type>(type);
  m.from = r.u64();
  m.to = r.u64();
  m.term = r.u64();
  m.log_term = r.u64();
  m.index = r.u64();
  m.commit = r.u64();
  m.reject = r.u8() != 0;
  m.reject_hint = r.u64();
  const uint32_t n = r.u32();
  // Each entry takes at least 20 bytes: a count larger than the input allows is garbage, not an allocation request.
  if (!r.ok || n > (bytes.size() - r.pos) / 20) return errc::corrupt;
  m.entries.reserve(n);
  for (uint32_t i = 0; i < n && r.ok; ++i) m.entries.push_back(get_entry(r));
  if (r.u8() != 0) m.snap = get_snapshot(r);
  if (!r.ok || r.pos != bytes.size()) return errc::corrupt;
  return m;
}

std::string encode(const hard_state& hs) {
  std::string out;
  put_u64(out, hs.term);
  put_u64(out, hs.vote);
  put_u64(out, hs.commit);
  return out;
}

result<hard_state> decode_hard_state(std::string_view bytes) {
  reader r{bytes};
  hard_state hs{r.u64(), r.u64(), r.u64()};
  if (!r.ok || r.pos != bytes.size()) return errc::corrupt;
  return hs;
}

std::string encode(const snapshot& s) {
  std::string out;
  put_snapshot(out, s);
  return out;
}

result<snapshot> decode_snapshot(std::string_view bytes) {
  reader r{bytes};
  snapshot s = get_snapshot(r);
  if (!r.ok || r.pos != bytes.size()) return errc::corrupt;
  return s;
}

}  // namespace samsa::raft::codec
