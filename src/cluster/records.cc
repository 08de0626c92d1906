// Metadata record codec (see records.h and docs/cluster-metadata.md for the layout).
#include "samsa/cluster/records.h"

#include <sstream>

#include "wire.h"

namespace samsa::cluster {
namespace {

using namespace wire;

void put_ids(std::string& out, const std::vector<broker_id>& ids) {
  put_uvarint(out, ids.size());
  for (broker_id id : ids) put_varlong(out, id);
}
std::vector<broker_id> read_ids(reader& r) {
  const size_t n = r.count();
  std::vector<broker_id> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n && r.ok(); ++i) ids.push_back(r.varint32());
  return ids;
}

void body(std::string& o, const register_broker_record& v) {
  put_varlong(o, v.id);
  put_uuid(o, v.incarnation_id);
  put_varlong(o, v.broker_epoch);
  put_uvarint(o, v.endpoints.size());
  for (const auto& e : v.endpoints) {
    put_string(o, e.listener);
    put_string(o, e.host);
    put_uvarint(o, e.port);
    put_varlong(o, e.security_protocol);
  }
  put_opt_string(o, v.rack);
  put_bool(o, v.fenced);
}
void body(std::string& o, const broker_fence_record& v) {
  put_varlong(o, v.id);
  put_varlong(o, v.broker_epoch);
  put_bool(o, v.fenced);
}
void body(std::string& o, const topic_record& v) {
  put_string(o, v.name);
  put_uuid(o, v.topic_id);
  put_uvarint(o, v.configs.size());
  for (const auto& [k, val] : v.configs) {
    put_string(o, k);
    put_string(o, val);
  }
}
void body(std::string& o, const remove_topic_record& v) { put_uuid(o, v.topic_id); }
void body(std::string& o, const partition_record& v) {
  put_uuid(o, v.topic_id);
  put_varlong(o, v.partition);
  put_ids(o, v.replicas);
  put_ids(o, v.isr);
  put_varlong(o, v.leader);
  put_varlong(o, v.leader_epoch);
  put_varlong(o, v.partition_epoch);
}
void body(std::string& o, const partition_change_record& v) {
  put_uuid(o, v.topic_id);
  put_varlong(o, v.partition);
  put_varlong(o, v.leader);
  put_ids(o, v.isr);
  put_varlong(o, v.leader_epoch);
  put_varlong(o, v.partition_epoch);
}
void body(std::string& o, const partition_reassignment_record& v) {
  put_uuid(o, v.topic_id);
  put_varlong(o, v.partition);
  put_ids(o, v.replicas);
  put_ids(o, v.isr);
  put_varlong(o, v.leader);
  put_varlong(o, v.leader_epoch);
  put_varlong(o, v.partition_epoch);
  put_ids(o, v.adding);
  put_ids(o, v.removing);
}
void body(std::string& o, const config_record& v) {
  put_varlong(o, static_cast<int8_t>(v.type));
  put_string(o, v.name);
  put_string(o, v.key);
  put_opt_string(o, v.value);
}
void body(std::string& o, const bootstrap_record& v) {
  put_string(o, v.cluster_id);
  put_varlong(o, v.metadata_version);
}
void body(std::string& o, const producer_ids_record& v) {
  put_varlong(o, v.broker);
  put_varlong(o, v.broker_epoch);
  put_varlong(o, v.next_producer_id);
}

metadata_record read_body(reader& r, uint32_t type) {
  switch (type) {
    case 1: {
      register_broker_record v;
      v.id = r.varint32();
      v.incarnation_id = r.read_uuid();
      v.broker_epoch = r.varlong();
      const size_t n = r.count(4);
      for (size_t i = 0; i < n && r.ok(); ++i) {
        endpoint e;
        e.listener = r.string();
        e.host = r.string();
        const uint64_t port = r.uvarint();
        if (port > 65535) r.fail(errc::malformed);
        e.port = static_cast<uint16_t>(port);
        e.security_protocol = r.varint16();
        v.endpoints.push_back(std::move(e));
      }
      v.rack = r.opt_string();
      v.fenced = r.boolean();
      return v;
    }
    case 2: {
      broker_fence_record v;
      v.id = r.varint32();
      v.broker_epoch = r.varlong();
      v.fenced = r.boolean();
      return v;
    }
    case 3: {
      topic_record v;
      v.name = r.string();
      v.topic_id = r.read_uuid();
      const size_t n = r.count(2);
      for (size_t i = 0; i < n && r.ok(); ++i) {
        std::string k = r.string();
        std::string val = r.string();
        if (!v.configs.emplace(std::move(k), std::move(val)).second) r.fail(errc::malformed);
      }
      return v;
    }
    case 4: return remove_topic_record{r.read_uuid()};
    case 5: {
      partition_record v;
      v.topic_id = r.read_uuid();
      v.partition = r.varint32();
      v.replicas = read_ids(r);
      v.isr = read_ids(r);
      v.leader = r.varint32();
      v.leader_epoch = r.varint32();
      v.partition_epoch = r.varint32();
      return v;
    }
    case 6: {
      partition_change_record v;
      v.topic_id = r.read_uuid();
      v.partition = r.varint32();
      v.leader = r.varint32();
      v.isr = read_ids(r);
      v.leader_epoch = r.varint32();
      v.partition_epoch = r.varint32();
      return v;
    }
    case 7: {
      config_record v;
      const int64_t t = r.varlong();
      if (t != static_cast<int8_t>(resource_type::topic) && t != static_cast<int8_t>(resource_type::broker))
        r.fail(errc::malformed);
      v.type = static_cast<resource_type>(t);
      v.name = r.string();
      v.key = r.string();
      v.value = r.opt_string();
      return v;
    }
    case 8: {
      bootstrap_record v;
      v.cluster_id = r.string();
      v.metadata_version = r.varint16();
      return v;
    }
    case 9: {
      producer_ids_record v;
      v.broker = r.varint32();
      v.broker_epoch = r.varlong();
      v.next_producer_id = r.varlong();
      return v;
    }
    case 10: {
      partition_reassignment_record v;
      v.topic_id = r.read_uuid();
      v.partition = r.varint32();
      v.replicas = read_ids(r);
      v.isr = read_ids(r);
      v.leader = r.varint32();
      v.leader_epoch = r.varint32();
      v.partition_epoch = r.varint32();
      v.adding = read_ids(r);
      v.removing = read_ids(r);
      return v;
    }
    default: r.fail(errc::unknown_record_type); return bootstrap_record{};
  }
}

}  // namespace

uint32_t record_type(const metadata_record& r) noexcept { return static_cast<uint32_t>(r.index()) + 1; }

const char* record_name(const metadata_record& r) noexcept {
  static constexpr const char* names[] = {"register_broker", "broker_fence",     "topic",
                                          "remove_topic",    "partition",        "partition_change",
                                          "config",          "bootstrap",        "producer_ids",
                                          "partition_reassignment"};
  return names[r.index()];
}

void append_record(std::string& out, const metadata_record& r) {
  std::string b;
  std::visit([&](const auto& v) { body(b, v); }, r);
  put_uvarint(out, record_type(r));
  put_uvarint(out, current_record_version);
  put_string(out, b);
}

result<metadata_record> read_record(std::string_view bytes, size_t& pos) {
  reader r(bytes, pos);
  const uint64_t type = r.uvarint();
  const uint64_t version = r.uvarint();
  const std::string b = r.string();
  if (!r.ok()) return r.error();
  if (type < 1 || type > std::variant_size_v<metadata_record>) return errc::unknown_record_type;
  if (version > current_record_version) return errc::unsupported_version;
  reader br(b);
  metadata_record rec = read_body(br, static_cast<uint32_t>(type));
  if (!br.ok()) return br.error();
  if (br.remaining() != 0) return errc::malformed;  // a body of this version has exactly these fields
  pos = r.pos();
  return rec;
}

std::string encode_batch(const std::vector<metadata_record>& records) {
  std::string out;
  out.push_back(static_cast<char>(batch_version));
  put_uvarint(out, records.size());
  for (const auto& r : records) append_record(out, r);
  return out;
}

result<std::vector<metadata_record>> decode_batch(std::string_view bytes) {
  reader r(bytes);
  const uint8_t v = r.u8();
  if (!r.ok()) return r.error();
  if (v != batch_version) return errc::unsupported_version;
  const size_t n = r.count(3);
  if (!r.ok()) return r.error();
  size_t pos = r.pos();
  std::vector<metadata_record> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto rec = read_record(bytes, pos);
    if (!rec) return rec.error();
    out.push_back(std::move(*rec));
  }
  if (pos != bytes.size()) return errc::malformed;
  return out;
}

namespace {
std::string ids(const std::vector<broker_id>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}
}  // namespace

std::string describe(const metadata_record& rec) {
  std::ostringstream o;
  o << record_name(rec) << "{";
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, register_broker_record>) {
          o << "id=" << v.id << " epoch=" << v.broker_epoch << " endpoints=" << v.endpoints.size()
            << " rack=" << v.rack.value_or("-") << " fenced=" << v.fenced;
        } else if constexpr (std::is_same_v<T, broker_fence_record>) {
          o << "id=" << v.id << " epoch=" << v.broker_epoch << " fenced=" << v.fenced;
        } else if constexpr (std::is_same_v<T, topic_record>) {
          o << v.name << " id=" << v.topic_id.to_string() << " configs=" << v.configs.size();
        } else if constexpr (std::is_same_v<T, remove_topic_record>) {
          o << "id=" << v.topic_id.to_string();
        } else if constexpr (std::is_same_v<T, partition_record>) {
          o << v.topic_id.to_string() << "-" << v.partition << " replicas=" << ids(v.replicas)
            << " isr=" << ids(v.isr) << " leader=" << v.leader << " le=" << v.leader_epoch
            << " pe=" << v.partition_epoch;
        } else if constexpr (std::is_same_v<T, partition_change_record>) {
          o << v.topic_id.to_string() << "-" << v.partition << " isr=" << ids(v.isr) << " leader=" << v.leader
            << " le=" << v.leader_epoch << " pe=" << v.partition_epoch;
        } else if constexpr (std::is_same_v<T, config_record>) {
          o << static_cast<int>(v.type) << ":" << v.name << " " << v.key << "=" << v.value.value_or("<delete>");
        } else if constexpr (std::is_same_v<T, bootstrap_record>) {
          o << "cluster_id=" << v.cluster_id << " mv=" << v.metadata_version;
        } else if constexpr (std::is_same_v<T, partition_reassignment_record>) {
          o << v.topic_id.to_string() << "-" << v.partition << " replicas=" << ids(v.replicas)
            << " isr=" << ids(v.isr) << " leader=" << v.leader << " le=" << v.leader_epoch
            << " pe=" << v.partition_epoch << " adding=" << ids(v.adding) << " removing=" << ids(v.removing);
        } else {
          o << "broker=" << v.broker << " epoch=" << v.broker_epoch << " next=" << v.next_producer_id;
        }
      },
      rec);
  o << "}";
  return o.str();
}

}  // namespace samsa::cluster
