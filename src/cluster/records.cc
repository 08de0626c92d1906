// Metadata record codec (see records.h and docs/cluster-metadata.md for the layout).
#include "samsa/cluster/records.h"

#include <sstream>
#include <tuple>

#include "samsa/protocol/header.h"
#include "samsa/protocol/metadata/all.h"

#include "wire.h"

namespace samsa::cluster {

protocol::uuid to_wire(const uuid& u) {
  protocol::uuid out;
  for (int i = 0; i < 8; ++i) out.value[static_cast<size_t>(i)] = static_cast<uint8_t>(u.hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) out.value[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(u.lo >> (56 - 8 * i));
  return out;
}

uuid from_wire(const protocol::uuid& u) {
  uuid out;
  for (int i = 0; i < 8; ++i) out.hi = (out.hi << 8) | u.value[static_cast<size_t>(i)];
  for (int i = 0; i < 8; ++i) out.lo = (out.lo << 8) | u.value[static_cast<size_t>(8 + i)];
  return out;
}

namespace {

using namespace wire;
namespace pm = protocol;

// ---- domain record -> generated wire record ----

pm::RegisterBrokerRecord wire_of(const register_broker_record& v) {
  pm::RegisterBrokerRecord m;
  m.broker_id = v.id;
  m.incarnation_id = to_wire(v.incarnation_id);
  m.broker_epoch = v.broker_epoch;
  for (const auto& e : v.endpoints) m.endpoints.push_back({e.listener, e.host, e.port, e.security_protocol, {}});
  m.rack = v.rack;
  m.fenced = v.fenced;
  return m;
}
pm::BrokerFenceRecord wire_of(const broker_fence_record& v) { return {v.id, v.broker_epoch, v.fenced, {}}; }
pm::TopicRecord wire_of(const topic_record& v) {
  pm::TopicRecord m;
  m.name = v.name;
  m.topic_id = to_wire(v.topic_id);
  for (const auto& [k, val] : v.configs) m.configs.push_back({k, val, {}});
  return m;
}
pm::RemoveTopicRecord wire_of(const remove_topic_record& v) { return {to_wire(v.topic_id), {}}; }
pm::PartitionRecord wire_of(const partition_record& v) {
  return {to_wire(v.topic_id), v.partition, v.replicas, v.isr, v.leader, v.leader_epoch, v.partition_epoch, {}};
}
pm::PartitionChangeRecord wire_of(const partition_change_record& v) {
  return {to_wire(v.topic_id), v.partition, v.leader, v.isr, v.leader_epoch, v.partition_epoch, {}};
}
pm::ConfigRecord wire_of(const config_record& v) {
  return {static_cast<int8_t>(v.type), v.name, v.key, v.value, {}};
}
pm::BootstrapRecord wire_of(const bootstrap_record& v) { return {v.cluster_id, v.metadata_version, {}}; }
pm::ProducerIdsRecord wire_of(const producer_ids_record& v) { return {v.broker, v.broker_epoch, v.next_producer_id, {}}; }
pm::PartitionReassignmentRecord wire_of(const partition_reassignment_record& v) {
  return {to_wire(v.topic_id), v.partition, v.replicas, v.isr, v.leader, v.leader_epoch,
          v.partition_epoch, v.adding, v.removing, {}};
}

// ---- generated wire record -> domain record (nullopt: a value the domain does not allow) ----

std::optional<metadata_record> record_of(const pm::RegisterBrokerRecord& m) {
  register_broker_record v;
  v.id = m.broker_id;
  v.incarnation_id = from_wire(m.incarnation_id);
  v.broker_epoch = m.broker_epoch;
  for (const auto& e : m.endpoints) v.endpoints.push_back({e.listener, e.host, e.port, e.security_protocol});
  v.rack = m.rack;
  v.fenced = m.fenced;
  return v;
}
std::optional<metadata_record> record_of(const pm::BrokerFenceRecord& m) {
  return broker_fence_record{m.broker_id, m.broker_epoch, m.fenced};
}
std::optional<metadata_record> record_of(const pm::TopicRecord& m) {
  topic_record v;
  v.name = m.name;
  v.topic_id = from_wire(m.topic_id);
  for (const auto& c : m.configs)
    if (!v.configs.emplace(c.key, c.value).second) return std::nullopt;  // a key twice
  return v;
}
std::optional<metadata_record> record_of(const pm::RemoveTopicRecord& m) { return remove_topic_record{from_wire(m.topic_id)}; }
std::optional<metadata_record> record_of(const pm::PartitionRecord& m) {
  return partition_record{from_wire(m.topic_id), m.partition, m.replicas, m.isr, m.leader, m.leader_epoch,
                          m.partition_epoch};
}
std::optional<metadata_record> record_of(const pm::PartitionChangeRecord& m) {
  return partition_change_record{from_wire(m.topic_id), m.partition, m.leader, m.isr, m.leader_epoch,
                                 m.partition_epoch};
}
std::optional<metadata_record> record_of(const pm::ConfigRecord& m) {
  if (m.resource_type != static_cast<int8_t>(resource_type::topic) &&
      m.resource_type != static_cast<int8_t>(resource_type::broker))
    return std::nullopt;
  return config_record{static_cast<resource_type>(m.resource_type), m.resource_name, m.key, m.value};
}
std::optional<metadata_record> record_of(const pm::BootstrapRecord& m) {
  return bootstrap_record{m.cluster_id, m.metadata_version};
}
std::optional<metadata_record> record_of(const pm::ProducerIdsRecord& m) {
  return producer_ids_record{m.broker_id, m.broker_epoch, m.next_producer_id};
}
std::optional<metadata_record> record_of(const pm::PartitionReassignmentRecord& m) {
  return partition_reassignment_record{from_wire(m.topic_id), m.partition, m.replicas, m.isr, m.leader,
                                       m.leader_epoch, m.partition_epoch, m.adding, m.removing};
}

// The generated record types, in the variant's order (type = index + 1).
using wire_records = std::tuple<pm::RegisterBrokerRecord, pm::BrokerFenceRecord, pm::TopicRecord, pm::RemoveTopicRecord,
                                pm::PartitionRecord, pm::PartitionChangeRecord, pm::ConfigRecord, pm::BootstrapRecord,
                                pm::ProducerIdsRecord, pm::PartitionReassignmentRecord>;
static_assert(std::tuple_size_v<wire_records> == std::variant_size_v<metadata_record>);

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
  std::visit(
      [&](const auto& v) {
        const auto m = wire_of(v);
        static_assert(std::decay_t<decltype(m)>::record_type > 0);
        const auto body = pm::encode_message(m, current_record_version);
        put_uvarint(out, record_type(r));
        put_uvarint(out, current_record_version);
        put_uvarint(out, body.size());
        out.append(reinterpret_cast<const char*>(body.data()), body.size());
      },
      r);
}

result<metadata_record> read_record(std::string_view bytes, size_t& pos) {
  reader r(bytes, pos);
  const uint64_t type = r.uvarint();
  const uint64_t version = r.uvarint();
  const size_t length = r.count(1);
  if (!r.ok()) return r.error();
  if (type < 1 || type > std::variant_size_v<metadata_record>) return errc::unknown_record_type;
  if (version > current_record_version) return errc::unsupported_version;
  const auto body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()) + r.pos(), length);
  std::optional<metadata_record> rec;
  bool decoded = false;
  pm::visit_record(static_cast<int16_t>(type), [&]<typename M>() {
    auto m = pm::decode_message<M>(body, static_cast<int16_t>(version));  // bounds-checked, must fill the body
    if (!m) return;
    decoded = true;
    rec = record_of(*m);
  });
  if (!decoded || !rec) return errc::malformed;
  pos = r.pos() + length;
  return std::move(*rec);
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
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + samsa::to_string(v[i]);
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
