#pragma once
// Records of the internal topic __consumer_offsets, in Kafka's own byte formats (so kafka-console-consumer's
// OffsetsMessageFormatter / GroupMetadataMessageFormatter and other tools can read them). See
// docs/consumer-groups.md. Every field is big endian; strings are int16-length UTF-8, bytes int32-length.
//
//   key version 0/1 (offset commit): group string, topic string, partition int32
//   key version 2   (group metadata): group string
//   OffsetCommitValue v0-v3, GroupMetadataValue v0-v3 (v4, flexible, is read too)
//   A null value is a tombstone: the offset (or the whole group) is deleted.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "samsa/base/ids.h"
#include "samsa/group/group.h"

namespace samsa::group {

inline constexpr const char* offsets_topic = "__consumer_offsets";

struct offset_key {
  std::string group;
  std::string topic;
  partition_index partition = 0;
};
struct group_key {
  std::string group;
};

struct offset_value {
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = 0;
  int64_t expire_timestamp = -1;  // only written (value v1) when the client asked for a retention time
};

std::vector<uint8_t> encode_offset_key(const offset_key& k);
std::vector<uint8_t> encode_group_key(const group_key& k);
// v3 (leader epoch), or v1 when expire_timestamp >= 0.
std::vector<uint8_t> encode_offset_value(const offset_value& v);
// v3.
std::vector<uint8_t> encode_group_value(const group_snapshot& s);

// nullopt: malformed or an unknown key version (such records are skipped with a warning by the loader).
std::optional<std::variant<offset_key, group_key>> decode_key(std::span<const uint8_t> b);
std::optional<offset_value> decode_offset_value(std::span<const uint8_t> b);
std::optional<group_snapshot> decode_group_value(std::span<const uint8_t> b);

}  // namespace samsa::group
