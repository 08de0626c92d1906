// Whole-image snapshots: the records that rebuild the image from empty, behind a small header.
#include "samsa/cluster/image.h"
#include "wire.h"

namespace samsa::cluster {

namespace {
constexpr std::string_view snapshot_magic = "SMDI";
constexpr uint8_t snapshot_version = 2;  // 2: the batch inside is batch version 2 (records.h)
}  // namespace

std::vector<metadata_record> image_records(const metadata_image& img) {
  std::vector<metadata_record> out;
  if (!img.cluster_id().empty()) out.push_back(bootstrap_record{img.cluster_id(), img.metadata_version()});
  for (const auto& [id, b] : img.brokers())
    out.push_back(register_broker_record{b.id, b.incarnation_id, b.broker_epoch, b.endpoints, b.rack, b.fenced});
  for (const auto& [id, t] : img.topics()) {
    topic_record tr{t->name, t->id, {}};
    if (const config_map* c = img.configs(resource_type::topic, t->name)) tr.configs = *c;
    out.push_back(std::move(tr));
    for (const auto& [p, s] : t->partitions) {
      out.push_back(partition_record{t->id, p, s.replicas, s.isr, s.leader, s.leader_epoch, s.partition_epoch});
      if (!s.adding.empty() || !s.removing.empty())  // a reassignment in progress
        out.push_back(partition_reassignment_record{t->id, p, s.replicas, s.isr, s.leader, s.leader_epoch,
                                                    s.partition_epoch, s.adding, s.removing});
    }
  }
  for (const auto& [res, m] : img.all_configs()) {
    if (res.type == resource_type::topic) continue;  // carried by the topic records
    for (const auto& [k, v] : m) out.push_back(config_record{res.type, res.name, k, v});
  }
  if (img.next_producer_id() != 0) out.push_back(producer_ids_record{-1, -1, img.next_producer_id()});
  return out;
}

std::string serialize_snapshot(const metadata_image& img) {
  std::string out(snapshot_magic);
  out.push_back(static_cast<char>(snapshot_version));
  wire::put_varlong(out, img.version().offset);
  wire::put_varlong(out, img.version().epoch);
  out += encode_batch(image_records(img));
  return out;
}

result<metadata_image> parse_snapshot(std::string_view bytes) {
  if (bytes.size() < snapshot_magic.size() + 1) return errc::truncated;
  if (bytes.substr(0, snapshot_magic.size()) != snapshot_magic) return errc::malformed;
  wire::reader r(bytes, snapshot_magic.size());
  const uint8_t v = r.u8();
  const int64_t offset = r.varlong();
  const int64_t epoch = r.varlong();
  if (!r.ok()) return r.error();
  if (v != snapshot_version) return errc::unsupported_version;
  auto batch = decode_batch(bytes.substr(r.pos()));
  if (!batch) return batch.error();
  return apply_batch(metadata_image{}, *batch, provenance{offset, epoch});
}

}  // namespace samsa::cluster
