#pragma once
// Test harness: one controller and the metadata log it writes. Every command's records become one log entry
// (encoded as a batch), which is committed at once and applied to the image, as the active controller would.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "samsa/cluster/controller.h"

namespace samsa::cluster::testing {

struct log_entry {
  int64_t index = 0;
  int64_t term = 0;
  std::string data;
};

class harness {
 public:
  explicit harness(controller_config cfg = {}) : ctl(cfg) {}

  // Appends the records (if any) as one entry and applies it. Returns the response.
  template <typename T>
  T commit(controller_result<T> r) {
    if (!r.records.empty()) append(r.records);
    return std::move(r.response);
  }
  void append(const std::vector<metadata_record>& records) {
    log_entry e{static_cast<int64_t>(log.size()) + 1, term, encode_batch(records)};
    auto out = apply_entry(image, e.index, e.term, e.data);
    EXPECT_FALSE(out.error) << out.error.message() << " applying " << describe_all(records);
    image = std::move(out.image);
    log.push_back(std::move(e));
  }
  static std::string describe_all(const std::vector<metadata_record>& rs) {
    std::string s;
    for (const auto& r : rs) s += describe(r) + " ";
    return s;
  }

  // Registers and unfences broker `id` (optionally in a rack).
  int64_t add_broker(broker_id id, std::optional<std::string> rack = {}) {
    auto reg = commit(ctl.register_broker(image, {id, uuid{static_cast<uint64_t>(id.value()), 77}, {{"PLAINTEXT", "h", 9092, 0}}, rack}, now));
    EXPECT_TRUE(reg.error.ok()) << reg.error.message;
    auto hb = commit(ctl.heartbeat(image, {id, reg.broker_epoch, image.version().offset, false, false}, now));
    EXPECT_TRUE(hb.error.ok()) << hb.error.message;
    EXPECT_FALSE(hb.is_fenced);
    return reg.broker_epoch;
  }
  void heartbeat_all() {
    for (const auto& [id, b] : image.brokers())
      if (!b.fenced) commit(ctl.heartbeat(image, {id, b.broker_epoch, image.version().offset, false, false}, now));
  }
  uuid create(const std::string& name, int32_t partitions, int16_t rf,
              std::vector<std::pair<std::string, std::optional<std::string>>> configs = {}) {
    auto res = commit(ctl.create_topics(image, {{name, partitions, rf, {}, std::move(configs)}}));
    EXPECT_EQ(res.size(), 1u);
    EXPECT_TRUE(res[0].error.ok()) << res[0].error.message;
    return res[0].topic_id;
  }
  const partition_state& part(const std::string& topic, partition_id p) const {
    const topic_image* t = image.topic(topic);
    EXPECT_NE(t, nullptr);
    return t->partitions.at(p);
  }

  controller ctl;
  metadata_image image;
  std::vector<log_entry> log;
  int64_t now = 1000;
  int64_t term = 1;
};

}  // namespace samsa::cluster::testing
