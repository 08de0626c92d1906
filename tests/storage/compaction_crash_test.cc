// Compaction crash safety through the file_ops seam (sim_disk). A compaction pass makes N system calls (create
// the .cleaned output, write it, fsync it and its indexes, fsync the directory, rename to .swap, fsync the
// directory, rename the replaced segments to .deleted, rename .swap -> final names, fsync the directory, unlink
// the .deleted files). For EVERY k in 1..N and three failure kinds -- a power loss at call k (unsynced data and
// directory entries dropped), a process crash at call k (everything the process did survives), and an I/O error
// of call k alone (the process goes on) -- reopening must give, for every compaction group, either exactly the
// old segments or exactly the new ones: same batches byte for byte, same segment bases, no leftovers. The new
// state is checked against the compaction invariants (latest record per key with its original offset,
// tombstones kept within delete.retention.ms and dropped after, control and transactional batches kept whole),
// and compacting the reopened log again must reach exactly the reference result.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/file_ops.h"
#include "samsa/storage/partition_log.h"
#include "sim_disk.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
namespace rec = samsa::records;
const quiet_logs quiet;

constexpr int64_t t0 = 1'700'000'000'000;
constexpr int64_t retention = 1000;

struct log_state {
  std::vector<std::vector<uint8_t>> batches;
  std::vector<int64_t> bases;
  bool operator==(const log_state&) const = default;
};

log_state snapshot(const partition_log& log) { return {read_all(log), log.segment_base_offsets()}; }

struct record {
  int64_t offset;
  int64_t ts;
  std::optional<std::string> key, value;
  bool control;
  bool operator==(const record&) const = default;
};

std::vector<record> records_in(const std::vector<std::vector<uint8_t>>& batches) {
  std::vector<record> out;
  std::vector<uint8_t> scratch;
  for (const auto& b : batches) {
    auto bv = rec::batch_view::parse(b);
    EXPECT_TRUE(bv);
    if (!bv) continue;
    EXPECT_FALSE(bv->verify_crc());
    auto ec = rec::for_each_record(*bv, scratch, 1 << 26, [&](const rec::record_view& r) {
      record x{bv->base_offset() + r.offset_delta, bv->base_timestamp() + r.timestamp_delta, std::nullopt, std::nullopt,
               bv->is_control()};
      if (r.key) x.key = std::string(r.key->begin(), r.key->end());
      if (r.value) x.value = std::string(r.value->begin(), r.value->end());
      out.push_back(x);
    });
    EXPECT_FALSE(ec);
  }
  return out;
}

std::vector<uint8_t> data_batch(int& n, int64_t ts, bool transactional) {
  rec::batch_options o;
  o.transactional = transactional;
  if (transactional) {
    o.producer_id = 4242;
    o.producer_epoch = 0;
    o.base_sequence = n;
  }
  o.codec = n % 4 == 0 ? rec::compression::zstd : rec::compression::none;
  rec::batch_builder b(o);
  for (int j = 0; j < 3; ++j, ++n) {
    std::string k = "key" + std::to_string((n * 7) % 10);
    std::optional<std::string> v;
    if (n % 5 != 2) v = "v" + std::to_string(n) + std::string(40, 'x');
    b.add(ts, k, v);
  }
  return *b.build();
}

std::vector<uint8_t> commit_marker(int64_t ts) {
  rec::batch_options o;
  o.control = true;
  o.transactional = true;
  o.producer_id = 4242;
  o.producer_epoch = 0;
  rec::batch_builder b(o);
  const char key[4] = {0, 0, 0, 1};   // control record v0, type COMMIT
  const char val[6] = {0, 0, 0, 0, 0, 0};  // version 0, coordinator epoch 0
  b.add(ts, std::string_view(key, 4), std::string_view(val, 6));
  return *b.build();
}

struct compaction_crash : ::testing::TestWithParam<uint64_t> {
  temp_dir tmp{sim_temp_root()};
  fs::path tmpl = tmp.path / "template" / "cc-0";
  fs::path work = tmp.path / "work" / "cc-0";
  int64_t clock = t0;
  log_config cfg = [this] {
    auto c = small_config();
    c.compact = true;
    c.delete_ = false;
    c.segment_bytes = GetParam();
    c.segment_ms = 10;  // rolled by the injected clock: several small segments per compaction group
    c.index_interval_bytes = 256;
    c.min_cleanable_dirty_ratio = 0.0;
    c.delete_retention_ms = retention;
    return c;
  }();
  open_options opts() {
    return open_options{nullptr, [this] { return clock; }, nullptr};
  }

  void SetUp() override {
    fs::create_directories(tmpl);
    fs::create_directories(work.parent_path());
    auto log = std::move(partition_log::open(tmpl, cfg, opts()).value());
    int n = 0;
    for (int i = 0; i < 64; ++i) {
      if (i % 6 == 5) clock += 11;  // roll
      // The first half is old (tombstones there are past delete.retention.ms when compacting at `clock`).
      int64_t ts = (i < 32 ? clock - 10 * retention : clock) + i;
      auto b = i % 16 == 15 ? commit_marker(ts) : data_batch(n, ts, i % 16 >= 12);
      ASSERT_TRUE(log->append(b, 1 + i / 20));
    }
    clock += 11;
    auto tail = data_batch(n, clock, false);  // roll: everything before is cleanable
    ASSERT_TRUE(log->append(tail, 5));
    ASSERT_FALSE(log->close());
  }

  void copy_template() {
    fs::remove_all(work);
    fs::copy(tmpl, work, fs::copy_options::recursive);
  }
};

void expect_compacted(const log_state& old_s, const log_state& new_s, int64_t now, int64_t active_base) {
  auto before = records_in(old_s.batches);
  auto after = records_in(new_s.batches);
  const int64_t horizon = now - retention;
  // Every surviving record is an original one, in offset order.
  std::map<int64_t, record> orig;
  for (auto& r : before) orig[r.offset] = r;
  int64_t prev = -1;
  for (auto& r : after) {
    EXPECT_EQ(orig.at(r.offset), r);
    EXPECT_GT(r.offset, prev);
    prev = r.offset;
  }
  // Latest per key over the cleanable part (data records only; the active segment is never cleaned and does not
  // supersede anything), and which of them must still be there.
  std::map<std::string, record> latest;
  for (auto& r : before)
    if (!r.control && r.key && r.offset < active_base) latest[*r.key] = r;
  std::map<std::string, int> seen;
  std::set<int64_t> after_offsets;
  for (auto& r : after) {
    after_offsets.insert(r.offset);
    if (r.control || r.offset >= active_base || !r.key) continue;
    // In the cleaned part only the latest version of a key survives (transactional batches are kept whole).
    if (!latest.count(*r.key) || latest.at(*r.key).offset != r.offset) {
      auto bv = std::find_if(new_s.batches.begin(), new_s.batches.end(), [&](const auto& b) {
        auto v = rec::batch_view::parse(b);
        return v->base_offset() <= r.offset && r.offset <= v->last_offset();
      });
      ASSERT_NE(bv, new_s.batches.end());
      EXPECT_TRUE(rec::batch_view::parse(*bv)->is_transactional()) << "superseded record kept at " << r.offset;
      continue;
    }
    ++seen[*r.key];
    if (!r.value) {
      EXPECT_GE(r.ts, horizon) << "expired tombstone kept at " << r.offset;
    }
  }
  for (auto& [k, r] : latest) {
    bool must_keep = r.value.has_value() || r.ts >= horizon;
    if (must_keep) {
      EXPECT_TRUE(after_offsets.count(r.offset)) << "latest record of " << k << " lost";
    }
    if (!r.value && r.ts < horizon) {
      EXPECT_FALSE(after_offsets.count(r.offset)) << "expired tombstone of " << k << " kept";
    }
  }
  // Control and transactional batches survive byte for byte.
  std::set<std::vector<uint8_t>> new_batches(new_s.batches.begin(), new_s.batches.end());
  int special = 0;
  for (auto& b : old_s.batches) {
    auto bv = rec::batch_view::parse(b);
    if (bv->is_control() || bv->is_transactional()) {
      ++special;
      EXPECT_TRUE(new_batches.count(b)) << "control/transactional batch at " << bv->base_offset() << " lost";
    }
  }
  EXPECT_GE(special, 4);
}

std::string describe(const log_state& s) {
  std::string out = "segments {";
  for (auto b : s.bases) out += " " + std::to_string(b);
  out += " } batches {";
  for (auto& b : s.batches) out += " " + std::to_string(base_of(b)) + "(" + std::to_string(b.size()) + ")";
  return out + " }";
}

// For every group [bounds[g], bounds[g+1]) (the last one open-ended): the batches and segment bases there are
// exactly the old ones or exactly the new ones. Returns how many groups were new.
int old_or_new(const log_state& got, const log_state& old_s, const log_state& new_s, std::vector<int64_t> bounds,
               const std::string& ctx) {
  bounds.push_back(INT64_MAX);
  auto slice = [](const log_state& s, int64_t lo, int64_t hi) {
    log_state out;
    for (auto& b : s.batches)
      if (base_of(b) >= lo && base_of(b) < hi) out.batches.push_back(b);
    for (auto b : s.bases)
      if (b >= lo && b < hi) out.bases.push_back(b);
    return out;
  };
  size_t total = 0;
  int fresh = 0;
  for (size_t g = 0; g + 1 < bounds.size(); ++g) {
    auto a = slice(got, bounds[g], bounds[g + 1]);
    total += a.batches.size();
    const bool is_old = a == slice(old_s, bounds[g], bounds[g + 1]);
    const bool is_new = a == slice(new_s, bounds[g], bounds[g + 1]);
    EXPECT_TRUE(is_old || is_new) << ctx << ": offsets [" << bounds[g] << ", " << bounds[g + 1]
                                  << ") are neither the old nor the compacted segments: got " << describe(a)
                                  << "; old " << describe(slice(old_s, bounds[g], bounds[g + 1])) << "; new "
                                  << describe(slice(new_s, bounds[g], bounds[g + 1]));
    if (is_new && !is_old) ++fresh;
  }
  EXPECT_EQ(total, got.batches.size()) << ctx;
  EXPECT_EQ(got.bases.front(), 0) << ctx;
  return fresh;
}

TEST_P(compaction_crash, EveryStepOfTheSwapRecoversToOldOrNewSegments) {
  // Reference run (no failure), counting the calls compaction makes.
  log_state old_s, new_s;
  uint64_t calls = 0;
  int64_t active_base = 0;
  {
    copy_template();
    sim_disk disk(work, 1);
    scoped_file_ops seam(&disk);
    auto log = std::move(partition_log::open(work, cfg, opts()).value());
    old_s = snapshot(*log);
    active_base = old_s.bases.back();
    const uint64_t before = disk.ops();
    auto n = log->compact(clock);
    ASSERT_TRUE(n) << n.error().message();
    ASSERT_GE(*n, 3u);
    calls = disk.ops() - before;
    new_s = snapshot(*log);
  }
  ASSERT_NE(old_s.batches, new_s.batches);
  ASSERT_GT(old_s.bases.size(), new_s.bases.size());
  expect_compacted(old_s, new_s, clock, active_base);
  // Group bounds: the output segments' bases (each group becomes one segment), then the active segment.
  std::vector<int64_t> bounds = new_s.bases;
  const size_t groups = bounds.size() - 1;
  std::printf("segment.bytes %llu: %zu old segments -> %zu groups, %llu system calls per pass\n",
              static_cast<unsigned long long>(cfg.segment_bytes), old_s.bases.size() - 1, groups,
              static_cast<unsigned long long>(calls));

  const char* kind_name[] = {"power loss", "torn power loss", "process crash", "I/O error"};
  int outcomes_new[4] = {0, 0, 0, 0}, outcomes_old[4] = {0, 0, 0, 0}, runs = 0;
  for (int kind : {0, 1, 2, 3}) {
    for (uint64_t k = 1; k <= calls; ++k) {
      const std::string ctx = std::string(kind_name[kind]) + " at call " + std::to_string(k) + "/" +
                              std::to_string(calls);
      copy_template();
      sim_disk disk(work, k * 31 + static_cast<uint64_t>(kind));
      {
        scoped_file_ops seam(&disk);
        auto log = std::move(partition_log::open(work, cfg, opts()).value());
        const uint64_t at = disk.ops() + k;
        if (kind == 3)
          disk.fail_at(at);
        else
          disk.crash_at(at, static_cast<sim_disk::mode>(kind));
        (void)log->compact(clock);
        if (kind != 3) {
          ASSERT_TRUE(disk.crashed()) << ctx;
        }
        log.reset();
      }
      if (kind != 3) sim_disk::restore(work, disk.image());
      // Reboot (under a fresh recording disk: no real fsyncs needed).
      sim_disk after(work, 7);
      scoped_file_ops seam(&after);
      auto log = partition_log::open(work, cfg, opts());
      ASSERT_TRUE(log) << ctx << ": reopen failed: " << log.error().message();
      auto got = snapshot(**log);
      const int fresh = old_or_new(got, old_s, new_s, bounds, ctx);
      if (::testing::Test::HasFailure()) return;
      (fresh > 0 ? outcomes_new : outcomes_old)[kind]++;
      for (const auto& e : fs::directory_iterator(work)) {
        auto f = e.path().filename().string();
        for (auto bad : {".cleaned", ".swap", ".deleted", ".tmp", ".swapend"})
          EXPECT_EQ(f.find(bad), std::string::npos) << ctx << ": leftover " << f;
      }
      // Nothing was lost: compacting again reaches exactly the reference result.
      auto again = (*log)->compact(clock);
      ASSERT_TRUE(again) << ctx << ": " << again.error().message();
      // (Same batches; the segment boundaries may differ when a partially swapped log regroups.)
      auto re = snapshot(**log);
      EXPECT_TRUE(re.batches == new_s.batches && (fresh > 0 || re.bases == new_s.bases))
          << ctx << ": compacting the recovered log gives a different result: " << describe(re) << " vs "
          << describe(new_s);
      int key_seq = 0;
      auto b = data_batch(key_seq, clock, false);
      auto ar = (*log)->append(b, 5);
      ASSERT_TRUE(ar) << ctx;
      EXPECT_EQ(ar->base_offset, rec::batch_view::parse(old_s.batches.back())->next_offset()) << ctx;
      ++runs;
    }
  }
  for (int kind = 0; kind < 4; ++kind) {
    std::printf("  %-16s %d runs recovered the old segments, %d the new ones\n", kind_name[kind],
                outcomes_old[kind], outcomes_new[kind]);
    // Early calls precede the commit point and late ones follow it: both outcomes must occur.
    EXPECT_GT(outcomes_old[kind], 0) << kind_name[kind];
    if (kind != 3) {
      EXPECT_GT(outcomes_new[kind], 0) << kind_name[kind];
    }
  }
  EXPECT_EQ(runs, static_cast<int>(4 * calls));
}

INSTANTIATE_TEST_SUITE_P(groups, compaction_crash, ::testing::Values(uint64_t{1} << 20, uint64_t{2500}),
                         [](const auto& info) { return info.param > 100000 ? std::string("one_group")
                                                                            : std::string("several_groups"); });

}  // namespace
}  // namespace samsa::storage
