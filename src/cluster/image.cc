// metadata_image, metadata_delta (copy-on-write application of records) and apply_entry.
#include "samsa/cluster/image.h"

#include <algorithm>

namespace samsa::cluster {

struct metadata_image::features_image {
  std::string cluster_id;
  int16_t metadata_version = 0;
  friend bool operator==(const features_image&, const features_image&) = default;
};
struct metadata_image::brokers_image {
  std::map<broker_id, broker_registration> brokers;
  friend bool operator==(const brokers_image&, const brokers_image&) = default;
};
struct metadata_image::topics_image {
  std::map<uuid, std::shared_ptr<const topic_image>> by_id;
  std::map<std::string, uuid, std::less<>> by_name;
};
struct metadata_image::configs_image {
  std::map<config_resource, config_map> configs;
  friend bool operator==(const configs_image&, const configs_image&) = default;
};
struct metadata_image::producer_ids_image {
  int64_t next_producer_id = 0;
  friend bool operator==(const producer_ids_image&, const producer_ids_image&) = default;
};

namespace {
template <typename T>
const std::shared_ptr<const T>& empty_sub() {
  static const std::shared_ptr<const T> e = std::make_shared<const T>();
  return e;
}
}  // namespace

metadata_image::metadata_image()
    : features_(empty_sub<features_image>()),
      brokers_(empty_sub<brokers_image>()),
      topics_(empty_sub<topics_image>()),
      configs_(empty_sub<configs_image>()),
      producer_ids_(empty_sub<producer_ids_image>()) {}

const std::string& metadata_image::cluster_id() const noexcept { return features_->cluster_id; }
int16_t metadata_image::metadata_version() const noexcept { return features_->metadata_version; }
const std::map<broker_id, broker_registration>& metadata_image::brokers() const noexcept { return brokers_->brokers; }
const broker_registration* metadata_image::broker(broker_id id) const noexcept {
  auto it = brokers_->brokers.find(id);
  return it == brokers_->brokers.end() ? nullptr : &it->second;
}
const std::map<uuid, std::shared_ptr<const topic_image>>& metadata_image::topics() const noexcept {
  return topics_->by_id;
}
const std::map<std::string, uuid, std::less<>>& metadata_image::topic_names() const noexcept {
  return topics_->by_name;
}
const topic_image* metadata_image::topic(const uuid& id) const noexcept {
  auto it = topics_->by_id.find(id);
  return it == topics_->by_id.end() ? nullptr : it->second.get();
}
const topic_image* metadata_image::topic(std::string_view name) const noexcept {
  auto it = topics_->by_name.find(name);
  return it == topics_->by_name.end() ? nullptr : topic(it->second);
}
const partition_state* metadata_image::partition(const uuid& topic_id, partition_id p) const noexcept {
  const topic_image* t = topic(topic_id);
  if (t == nullptr) return nullptr;
  auto it = t->partitions.find(p);
  return it == t->partitions.end() ? nullptr : &it->second;
}
const config_map* metadata_image::configs(resource_type type, std::string_view name) const noexcept {
  auto it = configs_->configs.find(config_resource{type, std::string(name)});
  return it == configs_->configs.end() ? nullptr : &it->second;
}
std::optional<std::string> metadata_image::config(resource_type type, std::string_view name,
                                                  std::string_view key) const {
  const config_map* m = configs(type, name);
  if (m == nullptr) return std::nullopt;
  auto it = m->find(std::string(key));
  if (it == m->end()) return std::nullopt;
  return it->second;
}
const std::map<config_resource, config_map>& metadata_image::all_configs() const noexcept {
  return configs_->configs;
}
int64_t metadata_image::next_producer_id() const noexcept { return producer_ids_->next_producer_id; }

bool operator==(const metadata_image& a, const metadata_image& b) {
  if (!(a.version_ == b.version_) || !(*a.features_ == *b.features_) || !(*a.brokers_ == *b.brokers_) ||
      !(*a.configs_ == *b.configs_) || !(*a.producer_ids_ == *b.producer_ids_))
    return false;
  const auto& ta = a.topics_->by_id;
  const auto& tb = b.topics_->by_id;
  if (ta.size() != tb.size() || a.topics_->by_name != b.topics_->by_name) return false;
  for (auto ia = ta.begin(), ib = tb.begin(); ia != ta.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !(*ia->second == *ib->second)) return false;
  }
  return true;
}

// ---- delta -------------------------------------------------------------------------------------------------------

struct metadata_delta::state {
  metadata_image base;
  // Copies made on first write (null: unchanged, use the base's).
  std::shared_ptr<metadata_image::features_image> features;
  std::shared_ptr<metadata_image::brokers_image> brokers;
  std::shared_ptr<metadata_image::topics_image> topics;
  std::shared_ptr<metadata_image::configs_image> configs;
  std::shared_ptr<metadata_image::producer_ids_image> producer_ids;
  std::set<uuid> owned_topics;  // topics whose topic_image in `topics` is a private copy

  template <typename T>
  static T& cow(std::shared_ptr<T>& mine, const std::shared_ptr<const T>& base) {
    if (!mine) mine = std::make_shared<T>(*base);
    return *mine;
  }
  const metadata_image::features_image& f() const { return features ? *features : *base.features_; }
  const metadata_image::brokers_image& b() const { return brokers ? *brokers : *base.brokers_; }
  const metadata_image::topics_image& t() const { return topics ? *topics : *base.topics_; }
  const metadata_image::configs_image& c() const { return configs ? *configs : *base.configs_; }
  const metadata_image::producer_ids_image& p() const { return producer_ids ? *producer_ids : *base.producer_ids_; }
  metadata_image::features_image& wf() { return cow(features, base.features_); }
  metadata_image::brokers_image& wb() { return cow(brokers, base.brokers_); }
  metadata_image::topics_image& wt() { return cow(topics, base.topics_); }
  metadata_image::configs_image& wc() { return cow(configs, base.configs_); }
  metadata_image::producer_ids_image& wp() { return cow(producer_ids, base.producer_ids_); }

  topic_image& writable_topic(const uuid& id) {
    auto& slot = wt().by_id.at(id);
    if (owned_topics.insert(id).second) slot = std::make_shared<topic_image>(*slot);
    // Owned copies are only ever created here, as non-const topic_images.
    return const_cast<topic_image&>(*slot);
  }
};

metadata_delta::metadata_delta(const metadata_image& base) : s_(std::make_unique<state>()) { s_->base = base; }
metadata_delta::~metadata_delta() = default;
metadata_delta::metadata_delta(metadata_delta&&) noexcept = default;

namespace {
bool valid_ids(const std::vector<broker_id>& ids) {
  auto sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
}
}  // namespace

std::error_code metadata_delta::apply(const metadata_record& rec) {
  state& s = *s_;
  const auto bad = make_error_code(errc::inconsistent_record);
  return std::visit(
      [&](const auto& v) -> std::error_code {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, register_broker_record>) {
          const auto& old = s.b().brokers;
          if (auto it = old.find(v.id); it != old.end() && v.broker_epoch <= it->second.broker_epoch) return bad;
          s.wb().brokers[v.id] =
              broker_registration{v.id, v.incarnation_id, v.broker_epoch, v.endpoints, v.rack, v.fenced};
          changed_brokers_.insert(v.id);
        } else if constexpr (std::is_same_v<T, broker_fence_record>) {
          auto it = s.b().brokers.find(v.id);
          if (it == s.b().brokers.end() || it->second.broker_epoch != v.broker_epoch) return bad;
          s.wb().brokers[v.id].fenced = v.fenced;
          changed_brokers_.insert(v.id);
        } else if constexpr (std::is_same_v<T, topic_record>) {
          if (v.topic_id.is_zero() || v.name.empty() || s.t().by_id.count(v.topic_id) ||
              s.t().by_name.count(v.name))
            return bad;
          auto& t = s.wt();
          t.by_id[v.topic_id] = std::make_shared<topic_image>(topic_image{v.name, v.topic_id, {}});
          s.owned_topics.insert(v.topic_id);
          t.by_name[v.name] = v.topic_id;
          auto& cfg = s.wc().configs;
          cfg.erase(config_resource{resource_type::topic, v.name});
          if (!v.configs.empty()) cfg[config_resource{resource_type::topic, v.name}] = v.configs;
          changed_topics_.insert(v.topic_id);
          deleted_topics_.erase(v.topic_id);
        } else if constexpr (std::is_same_v<T, remove_topic_record>) {
          auto it = s.t().by_id.find(v.topic_id);
          if (it == s.t().by_id.end()) return bad;
          const std::string name = it->second->name;
          auto& t = s.wt();
          t.by_id.erase(v.topic_id);
          t.by_name.erase(name);
          s.owned_topics.erase(v.topic_id);
          if (s.c().configs.count(config_resource{resource_type::topic, name}))
            s.wc().configs.erase(config_resource{resource_type::topic, name});
          changed_topics_.erase(v.topic_id);
          deleted_topics_.insert(v.topic_id);
        } else if constexpr (std::is_same_v<T, partition_record>) {
          auto it = s.t().by_id.find(v.topic_id);
          if (it == s.t().by_id.end() || v.partition < 0 || it->second->partitions.count(v.partition)) return bad;
          partition_state ps{v.replicas, v.isr, v.leader, v.leader_epoch, v.partition_epoch};
          if (v.replicas.empty() || !valid_ids(v.replicas) || !valid_ids(v.isr)) return bad;
          s.writable_topic(v.topic_id).partitions.emplace(v.partition, std::move(ps));
          changed_topics_.insert(v.topic_id);
        } else if constexpr (std::is_same_v<T, partition_change_record>) {
          auto it = s.t().by_id.find(v.topic_id);
          if (it == s.t().by_id.end()) return bad;
          auto pit = it->second->partitions.find(v.partition);
          if (pit == it->second->partitions.end()) return bad;
          const partition_state& cur = pit->second;
          if (v.partition_epoch <= cur.partition_epoch || v.leader_epoch < cur.leader_epoch ||
              !valid_ids(v.isr))
            return bad;
          partition_state& w = s.writable_topic(v.topic_id).partitions.at(v.partition);
          w.leader = v.leader;
          w.isr = v.isr;
          w.leader_epoch = v.leader_epoch;
          w.partition_epoch = v.partition_epoch;
          changed_topics_.insert(v.topic_id);
        } else if constexpr (std::is_same_v<T, partition_reassignment_record>) {
          auto it = s.t().by_id.find(v.topic_id);
          if (it == s.t().by_id.end()) return bad;
          auto pit = it->second->partitions.find(v.partition);
          if (pit == it->second->partitions.end()) return bad;
          const partition_state& cur = pit->second;
          auto subset = [&](const std::vector<broker_id>& xs) {
            return std::all_of(xs.begin(), xs.end(), [&](broker_id x) {
              return std::find(v.replicas.begin(), v.replicas.end(), x) != v.replicas.end();
            });
          };
          // Equal epochs are allowed: a snapshot restates an ongoing reassignment after its partition record.
          if (v.partition_epoch < cur.partition_epoch || v.leader_epoch < cur.leader_epoch || v.replicas.empty() ||
              !valid_ids(v.replicas) || !valid_ids(v.isr) || !valid_ids(v.adding) || !valid_ids(v.removing) ||
              !subset(v.isr) || !subset(v.adding) || !subset(v.removing))
            return bad;
          partition_state& w = s.writable_topic(v.topic_id).partitions.at(v.partition);
          w = partition_state{v.replicas, v.isr, v.leader, v.leader_epoch, v.partition_epoch, v.adding, v.removing};
          changed_topics_.insert(v.topic_id);
        } else if constexpr (std::is_same_v<T, config_record>) {
          if (v.key.empty()) return bad;
          if (v.type == resource_type::topic && !s.t().by_name.count(v.name)) return bad;
          const config_resource res{v.type, v.name};
          if (v.value) {
            s.wc().configs[res][v.key] = *v.value;
          } else {
            auto it = s.c().configs.find(res);
            if (it != s.c().configs.end() && it->second.count(v.key)) {
              auto& m = s.wc().configs[res];
              m.erase(v.key);
              if (m.empty()) s.wc().configs.erase(res);
            }
          }
          if (v.type == resource_type::topic) changed_topics_.insert(s.t().by_name.find(v.name)->second);
        } else if constexpr (std::is_same_v<T, bootstrap_record>) {
          if (v.cluster_id.empty()) return bad;
          if (!s.f().cluster_id.empty() && s.f().cluster_id != v.cluster_id) return bad;
          s.wf().cluster_id = v.cluster_id;
          s.wf().metadata_version = v.metadata_version;
        } else {
          if (v.next_producer_id <= s.p().next_producer_id) return bad;
          s.wp().next_producer_id = v.next_producer_id;
        }
        return {};
      },
      rec);
}

metadata_image metadata_delta::build(provenance v) {
  state& s = *s_;
  metadata_image out = s.base;
  out.version_ = v;
  // Hand the private copies over to the image; later writes copy again (copy-on-write from the built image).
  if (s.features) out.features_ = std::move(s.features);
  if (s.brokers) out.brokers_ = std::move(s.brokers);
  if (s.topics) out.topics_ = std::move(s.topics);
  if (s.configs) out.configs_ = std::move(s.configs);
  if (s.producer_ids) out.producer_ids_ = std::move(s.producer_ids);
  s.features.reset();
  s.brokers.reset();
  s.topics.reset();
  s.configs.reset();
  s.producer_ids.reset();
  s.owned_topics.clear();
  s.base = out;
  return out;
}

result<metadata_image> apply_batch(const metadata_image& base, const std::vector<metadata_record>& batch,
                                   provenance v) {
  metadata_delta d(base);
  for (const auto& r : batch) {
    if (auto ec = d.apply(r)) return ec;
  }
  return d.build(v);
}

apply_outcome apply_entry(const metadata_image& base, int64_t index, int64_t term, std::string_view data) {
  const provenance v{index, term};
  std::error_code ec;
  if (!data.empty()) {
    auto batch = decode_batch(data);
    if (batch) {
      auto img = apply_batch(base, *batch, v);
      if (img) return {std::move(*img), {}};
      ec = img.error();
    } else {
      ec = batch.error();
    }
  }
  metadata_delta d(base);  // version only
  return {d.build(v), ec};
}

}  // namespace samsa::cluster
