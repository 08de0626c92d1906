#pragma once
// Metadata records: the only things written to the metadata log. Every change to the cluster metadata (brokers,
// topics, partitions, configs, producer-id blocks) is one of these, proposed to Raft by the active controller and
// applied, in log order, by every node to its metadata_image (image.h). Broker heartbeats are NOT records: they are
// soft state of the active controller, and only their consequence (a fence record) is logged.
//
// Encoding (docs/cluster-metadata.md): a raft entry holds one *batch* (the records of one controller command, applied
// atomically): [u8 batch_version=2][uvarint count] then per record [uvarint type][uvarint version][uvarint body
// length][body]. Each body is the record's message, declared in src/protocol/schema/metadata/ and encoded by the
// generated Kafka-protocol codec (flexible encoding, so later versions can add tagged fields). Decoding is
// bounds-checked and rejects unknown types, unknown versions, bodies that are not consumed exactly, values the
// structs below do not allow, and trailing bytes; it never reads past its input. Batch version 1 (the hand-written
// encoding of samsad before 2026-12) is refused as unsupported_version: such a metadata log cannot be read.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/cluster/types.h"
#include "samsa/protocol/wire.h"

namespace samsa::cluster {

struct endpoint {
  std::string listener;           // e.g. PLAINTEXT
  std::string host;
  uint16_t port = 0;
  int16_t security_protocol = 0;  // Kafka's SecurityProtocol id (0 = PLAINTEXT)
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

// type 1. A broker (re-)registered. broker_epoch is new for every registration; new registrations start fenced.
struct register_broker_record {
  broker_id id = 0;
  uuid incarnation_id{};
  int64_t broker_epoch = 0;
  std::vector<endpoint> endpoints{};
  std::optional<std::string> rack{};
  bool fenced = true;
  friend bool operator==(const register_broker_record&, const register_broker_record&) = default;
};

// type 2. A broker became fenced (session expired) or unfenced (caught up and heartbeating).
struct broker_fence_record {
  broker_id id = 0;
  int64_t broker_epoch = 0;
  bool fenced = true;
  friend bool operator==(const broker_fence_record&, const broker_fence_record&) = default;
};

// type 3. A topic was created, with its initial (non-default) configs.
struct topic_record {
  std::string name;
  uuid topic_id{};
  std::map<std::string, std::string> configs{};
  friend bool operator==(const topic_record&, const topic_record&) = default;
};

// type 4. A topic (and every partition of it, and its configs) was deleted.
struct remove_topic_record {
  uuid topic_id{};
  friend bool operator==(const remove_topic_record&, const remove_topic_record&) = default;
};

// type 5. The full state of a partition (a new partition, or a partition in a snapshot).
struct partition_record {
  uuid topic_id{};
  partition_id partition = 0;
  std::vector<broker_id> replicas{};
  std::vector<broker_id> isr{};
  broker_id leader = no_leader;
  samsa::leader_epoch leader_epoch = 0;
  int32_t partition_epoch = 0;
  friend bool operator==(const partition_record&, const partition_record&) = default;
};

// type 6. A change of an existing partition's leader and/or ISR. Carries the resulting epochs explicitly so that
// applying is a pure assignment: leader_epoch bumps on a leader change, partition_epoch on every change.
struct partition_change_record {
  uuid topic_id{};
  partition_id partition = 0;
  broker_id leader = no_leader;
  std::vector<broker_id> isr{};
  samsa::leader_epoch leader_epoch = 0;
  int32_t partition_epoch = 0;
  friend bool operator==(const partition_change_record&, const partition_change_record&) = default;
};

enum class resource_type : int8_t { topic = 2, broker = 4 };  // Kafka's ConfigResource.Type ids

// type 7. One config key of a resource was set (value) or deleted (nullopt: back to the default).
struct config_record {
  resource_type type = resource_type::topic;
  std::string name;  // topic name, broker id, or "" for the cluster-wide broker default
  std::string key;
  std::optional<std::string> value{};
  friend bool operator==(const config_record&, const config_record&) = default;
};

// type 8. The cluster was bootstrapped: its id (agreed through the quorum) and metadata version.
struct bootstrap_record {
  std::string cluster_id;
  int16_t metadata_version = 1;
  friend bool operator==(const bootstrap_record&, const bootstrap_record&) = default;
};

// type 9. A block of producer ids [next_producer_id - block, next_producer_id) went to a broker; the next block
// starts at next_producer_id.
struct producer_ids_record {
  broker_id broker = 0;
  int64_t broker_epoch = 0;
  int64_t next_producer_id = 0;
  friend bool operator==(const producer_ids_record&, const producer_ids_record&) = default;
};

// type 10. A partition's replica set changes (KIP-455 reassignment): the whole resulting state. While a reassignment
// is in progress, replicas = target + the replicas being removed, `adding` = target - original, `removing` =
// original - target; when it completes (every target replica in the ISR) replicas = target and both are empty.
struct partition_reassignment_record {
  uuid topic_id{};
  partition_id partition = 0;
  std::vector<broker_id> replicas{};
  std::vector<broker_id> isr{};
  broker_id leader = no_leader;
  samsa::leader_epoch leader_epoch = 0;
  int32_t partition_epoch = 0;
  std::vector<broker_id> adding{};
  std::vector<broker_id> removing{};
  friend bool operator==(const partition_reassignment_record&, const partition_reassignment_record&) = default;
};

using metadata_record = std::variant<register_broker_record, broker_fence_record, topic_record, remove_topic_record,
                                     partition_record, partition_change_record, config_record, bootstrap_record,
                                     producer_ids_record, partition_reassignment_record>;

// The wire type id of a record (1..10, the variant index + 1) and the highest version this build writes/reads.
uint32_t record_type(const metadata_record& r) noexcept;
inline constexpr uint32_t current_record_version = 0;
inline constexpr uint8_t batch_version = 2;
const char* record_name(const metadata_record& r) noexcept;

// One record: [uvarint type][uvarint version][uvarint length][body].
void append_record(std::string& out, const metadata_record& r);
// Decodes one record at `pos` in `bytes`, advancing pos.
result<metadata_record> read_record(std::string_view bytes, size_t& pos);

// A batch (the payload of one raft entry).
std::string encode_batch(const std::vector<metadata_record>& records);
result<std::vector<metadata_record>> decode_batch(std::string_view bytes);

// A uuid as the Kafka protocol carries it (16 bytes, big-endian hi then lo), and back.
protocol::uuid to_wire(const uuid& u);
uuid from_wire(const protocol::uuid& u);

// Readable one-line rendering for test failures and logs.
std::string describe(const metadata_record& r);

}  // namespace samsa::cluster
