#pragma once
// metadata_image: an immutable snapshot of the cluster metadata as of one offset of the metadata log. Every node
// builds its own image by applying the committed records in log order (metadata_delta); equal logs give equal images.
//
// Sharing: an image is a small value holding shared_ptrs to immutable sub-images (features, brokers, topics,
// configs, producer ids), and each topic is itself a shared_ptr<const topic_image>. Copying an image is five
// pointer copies; a delta that changes one topic copies that topic and the topic map's pointers, and shares every
// other sub-image with its base. Images are safe to read from any thread (nothing is ever mutated after build()).
//
// Version: (offset, epoch) of the last applied raft entry (raft index and term); -1/-1 for the empty image.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/cluster/records.h"

namespace samsa::cluster {

struct provenance {
  int64_t offset = -1;
  int64_t epoch = -1;
  friend bool operator==(const provenance&, const provenance&) = default;
};

struct broker_registration {
  broker_id id = 0;
  uuid incarnation_id{};
  int64_t broker_epoch = 0;
  std::vector<endpoint> endpoints{};
  std::optional<std::string> rack{};
  bool fenced = true;
  friend bool operator==(const broker_registration&, const broker_registration&) = default;
};

struct partition_state {
  std::vector<broker_id> replicas{};
  std::vector<broker_id> isr{};
  broker_id leader = no_leader;
  samsa::leader_epoch leader_epoch = 0;
  int32_t partition_epoch = 0;
  // A reassignment in progress (KIP-455): replicas being added / removed; both empty otherwise.
  std::vector<broker_id> adding{};
  std::vector<broker_id> removing{};
  friend bool operator==(const partition_state&, const partition_state&) = default;
};

struct topic_image {
  std::string name;
  uuid id{};
  std::map<partition_id, partition_state> partitions{};
  friend bool operator==(const topic_image&, const topic_image&) = default;
};

struct config_resource {
  resource_type type = resource_type::topic;
  std::string name;
  friend auto operator<=>(const config_resource&, const config_resource&) = default;
};

using config_map = std::map<std::string, std::string>;

class metadata_image {
 public:
  metadata_image();  // the empty image, version -1/-1

  const provenance& version() const noexcept { return version_; }
  const std::string& cluster_id() const noexcept;
  int16_t metadata_version() const noexcept;

  const std::map<broker_id, broker_registration>& brokers() const noexcept;
  const broker_registration* broker(broker_id id) const noexcept;

  const std::map<uuid, std::shared_ptr<const topic_image>>& topics() const noexcept;
  const std::map<std::string, uuid, std::less<>>& topic_names() const noexcept;
  const topic_image* topic(const uuid& id) const noexcept;
  const topic_image* topic(std::string_view name) const noexcept;
  const partition_state* partition(const uuid& topic_id, partition_id p) const noexcept;

  // Explicitly set config values of a resource (defaults are not stored); nullptr when none are set.
  const config_map* configs(resource_type type, std::string_view name) const noexcept;
  std::optional<std::string> config(resource_type type, std::string_view name, std::string_view key) const;
  const std::map<config_resource, config_map>& all_configs() const noexcept;

  int64_t next_producer_id() const noexcept;

  // Deep equality of content and version.
  friend bool operator==(const metadata_image& a, const metadata_image& b);

  // Sub-image identity, for tests of structural sharing.
  const void* brokers_identity() const noexcept { return brokers_.get(); }
  const void* topics_identity() const noexcept { return topics_.get(); }
  const void* configs_identity() const noexcept { return configs_.get(); }

  struct features_image;
  struct brokers_image;
  struct topics_image;
  struct configs_image;
  struct producer_ids_image;

 private:
  friend class metadata_delta;
  provenance version_{};
  std::shared_ptr<const features_image> features_;
  std::shared_ptr<const brokers_image> brokers_;
  std::shared_ptr<const topics_image> topics_;
  std::shared_ptr<const configs_image> configs_;
  std::shared_ptr<const producer_ids_image> producer_ids_;
};

// Records applied on top of a base image. Sub-images are copied on first write only. apply() validates each record
// against the state so far and, on an inconsistent record, returns errc::inconsistent_record and changes nothing.
class metadata_delta {
 public:
  explicit metadata_delta(const metadata_image& base);
  ~metadata_delta();
  metadata_delta(metadata_delta&&) noexcept;

  std::error_code apply(const metadata_record& r);
  // The image with every applied record, at version v. The delta may go on applying records afterwards (the built
  // image is never modified by them).
  metadata_image build(provenance v);

  // What changed relative to the base (for brokers reconciling their replicas with the image).
  const std::set<uuid>& changed_topics() const noexcept { return changed_topics_; }
  const std::set<uuid>& deleted_topics() const noexcept { return deleted_topics_; }
  const std::set<broker_id>& changed_brokers() const noexcept { return changed_brokers_; }

 private:
  struct state;
  std::unique_ptr<state> s_;
  std::set<uuid> changed_topics_;
  std::set<uuid> deleted_topics_;
  std::set<broker_id> changed_brokers_;
};

// Applies one batch atomically: either every record applies (image at version v) or the error is returned.
result<metadata_image> apply_batch(const metadata_image& base, const std::vector<metadata_record>& batch,
                                   provenance v);

// Applies one committed raft entry (index, term, encoded batch). Every node must stay identical even on a bad entry,
// so a batch that does not decode or does not apply is skipped as a whole: the image only advances its version, and
// the error is reported for logging. An empty entry (a new raft leader's no-op) just advances the version.
struct apply_outcome {
  metadata_image image;
  std::error_code error{};
};
apply_outcome apply_entry(const metadata_image& base, int64_t index, int64_t term, std::string_view data);

// Snapshot of a whole image (raft snapshot payload): ["SMDI"][u8 version=1][varlong offset][varlong epoch][batch of
// records that rebuild the image from empty]. parse_snapshot(serialize_snapshot(i)) == i.
std::string serialize_snapshot(const metadata_image& image);
result<metadata_image> parse_snapshot(std::string_view bytes);
// The records a snapshot holds (also what a new broker could replay to build the image).
std::vector<metadata_record> image_records(const metadata_image& image);

}  // namespace samsa::cluster
