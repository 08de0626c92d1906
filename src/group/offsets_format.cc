// __consumer_offsets record keys and values in Kafka's formats (see offsets_format.h).
#include "samsa/group/offsets_format.h"

namespace samsa::group {
namespace {

struct writer {
  std::vector<uint8_t> out;
  void i16(int16_t v) {
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(v) >> 8));
    out.push_back(static_cast<uint8_t>(v));
  }
  void i32(int32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(static_cast<uint32_t>(v) >> s));
  }
  void i64(int64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> s));
  }
  void str(const std::string& s) {
    i16(static_cast<int16_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  void nstr(const std::optional<std::string>& s) {
    if (!s) return i16(-1);
    str(*s);
  }
  void bytes(const std::vector<uint8_t>& b) {
    i32(static_cast<int32_t>(b.size()));
    out.insert(out.end(), b.begin(), b.end());
  }
};

struct reader {
  std::span<const uint8_t> b;
  size_t p = 0;
  bool ok = true;
  bool flexible = false;
  bool need(size_t n) {
    if (!ok || p + n > b.size()) ok = false;
    return ok;
  }
  int16_t i16() {
    if (!need(2)) return 0;
    const auto v = static_cast<int16_t>((b[p] << 8) | b[p + 1]);
    p += 2;
    return v;
  }
  int32_t i32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | b[p + i];
    p += 4;
    return static_cast<int32_t>(v);
  }
  int64_t i64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | b[p + i];
    p += 8;
    return static_cast<int64_t>(v);
  }
  uint64_t uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!need(1)) return 0;
      const uint8_t c = b[p++];
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  // Length of a (nullable) string / bytes field: -1 = null.
  int64_t len16() { return flexible ? static_cast<int64_t>(uvarint()) - 1 : i16(); }
  int64_t len32() { return flexible ? static_cast<int64_t>(uvarint()) - 1 : i32(); }
  std::optional<std::string> nstr() {
    const int64_t n = len16();
    if (!ok || n < 0) return std::nullopt;
    if (!need(static_cast<size_t>(n))) return std::nullopt;
    std::string s(reinterpret_cast<const char*>(b.data() + p), static_cast<size_t>(n));
    p += static_cast<size_t>(n);
    return s;
  }
  std::string str() {
    auto s = nstr();
    if (!s) ok = false;
    return s.value_or("");
  }
  std::vector<uint8_t> bytes() {
    const int64_t n = len32();
    if (!ok || n < 0 || !need(static_cast<size_t>(n))) {
      ok = false;
      return {};
    }
    std::vector<uint8_t> v(b.begin() + static_cast<std::ptrdiff_t>(p), b.begin() + static_cast<std::ptrdiff_t>(p + n));
    p += static_cast<size_t>(n);
    return v;
  }
  int64_t array_len() { return flexible ? static_cast<int64_t>(uvarint()) - 1 : i32(); }
  void skip_tags() {
    if (!flexible) return;
    const uint64_t n = uvarint();
    for (uint64_t i = 0; ok && i < n; ++i) {
      uvarint();
      const uint64_t sz = uvarint();
      if (need(sz)) p += sz;
    }
  }
};

}  // namespace

std::vector<uint8_t> encode_offset_key(const offset_key& k) {
  writer w;
  w.i16(1);
  w.str(k.group);
  w.str(k.topic);
  w.i32(k.partition.value());
  return std::move(w.out);
}

std::vector<uint8_t> encode_group_key(const group_key& k) {
  writer w;
  w.i16(2);
  w.str(k.group);
  return std::move(w.out);
}

std::vector<uint8_t> encode_offset_value(const offset_value& v) {
  writer w;
  if (v.expire_timestamp >= 0) {
    w.i16(1);
    w.i64(v.offset);
    w.str(v.metadata);
    w.i64(v.commit_timestamp);
    w.i64(v.expire_timestamp);
  } else {
    w.i16(3);
    w.i64(v.offset);
    w.i32(v.leader_epoch);
    w.str(v.metadata);
    w.i64(v.commit_timestamp);
  }
  return std::move(w.out);
}

std::vector<uint8_t> encode_group_value(const group_snapshot& s) {
  writer w;
  w.i16(3);
  w.str(s.protocol_type);
  w.i32(s.generation);
  w.nstr(s.protocol_name);
  w.nstr(s.leader);
  w.i64(s.state_timestamp);
  w.i32(static_cast<int32_t>(s.members.size()));
  for (const auto& m : s.members) {
    w.str(m.member_id);
    w.nstr(m.group_instance_id);
    w.str(m.client_id);
    w.str(m.client_host);
    w.i32(m.rebalance_timeout_ms);
    w.i32(m.session_timeout_ms);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return std::move(w.out);
}

std::optional<std::variant<offset_key, group_key>> decode_key(std::span<const uint8_t> b) {
  reader r{b};
  const int16_t version = r.i16();
  if (!r.ok) return std::nullopt;
  if (version == 0 || version == 1) {
    offset_key k;
    k.group = r.str();
    k.topic = r.str();
    k.partition = r.i32();
    if (!r.ok) return std::nullopt;
    return k;
  }
  if (version == 2) {
    group_key k;
    k.group = r.str();
    if (!r.ok) return std::nullopt;
    return k;
  }
  return std::nullopt;  // e.g. KIP-848 consumer-group records (versions 3+): not ours to read
}

std::optional<offset_value> decode_offset_value(std::span<const uint8_t> b) {
  reader r{b};
  const int16_t version = r.i16();
  if (!r.ok || version < 0 || version > 4) return std::nullopt;
  r.flexible = version >= 4;
  offset_value v;
  v.offset = r.i64();
  if (version >= 3) v.leader_epoch = r.i32();
  v.metadata = r.str();
  v.commit_timestamp = r.i64();
  if (version == 1) v.expire_timestamp = r.i64();
  r.skip_tags();
  if (!r.ok) return std::nullopt;
  return v;
}

std::optional<group_snapshot> decode_group_value(std::span<const uint8_t> b) {
  reader r{b};
  const int16_t version = r.i16();
  if (!r.ok || version < 0 || version > 4) return std::nullopt;
  r.flexible = version >= 4;
  group_snapshot s;
  s.protocol_type = r.str();
  s.generation = r.i32();
  s.protocol_name = r.nstr();
  s.leader = r.nstr();
  if (version >= 2) s.state_timestamp = r.i64();
  const int64_t n = r.array_len();
  if (!r.ok || n < 0 || static_cast<size_t>(n) > b.size()) return std::nullopt;
  for (int64_t i = 0; i < n && r.ok; ++i) {
    group_snapshot::member_record m;
    m.member_id = r.str();
    if (version >= 3) m.group_instance_id = r.nstr();
    m.client_id = r.str();
    m.client_host = r.str();
    m.rebalance_timeout_ms = version >= 1 ? r.i32() : -1;
    m.session_timeout_ms = r.i32();
    if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
    m.subscription = r.bytes();
    m.assignment = r.bytes();
    r.skip_tags();
    s.members.push_back(std::move(m));
  }
  r.skip_tags();
  if (!r.ok) return std::nullopt;
  return s;
}

}  // namespace samsa::group
