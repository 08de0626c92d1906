// Unit tests: offset/time indexes, checkpoint files, leader-epoch cache.
#include <gtest/gtest.h>

#include "samsa/storage/checkpoint.h"
#include "samsa/storage/index.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(offset_index, FloorFindsLastEntryAtOrBelow) {
  offset_index ix;
  ix.append(10, 100);
  ix.append(20, 200);
  ix.append(30, 300);
  EXPECT_FALSE(ix.floor(9));
  EXPECT_EQ(ix.floor(10)->position, 100u);
  EXPECT_EQ(ix.floor(25)->position, 200u);
  EXPECT_EQ(ix.floor(1000)->position, 300u);
  EXPECT_EQ(ix.ceil(11)->relative_offset, 20);
  EXPECT_FALSE(ix.ceil(31));
}

TEST(offset_index, SerializesToKafkaBigEndianEightByteEntries) {
  offset_index ix;
  ix.append(1, 0x01020304);
  auto s = ix.serialize();
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s, std::string("\0\0\0\1\1\2\3\4", 8));
  offset_index back;
  ix.append(7, 0x01020305);
  ASSERT_TRUE(back.parse(bytes(ix.serialize()), 100, 1u << 30));
  EXPECT_EQ(back.size(), 2u);
  EXPECT_EQ(back.entries()[1].relative_offset, 7);
}

TEST(offset_index, ParseRejectsMalformedFiles) {
  offset_index ix;
  ix.append(5, 50);
  ix.append(9, 90);
  auto good = ix.serialize();
  offset_index p;
  EXPECT_FALSE(p.parse(bytes(good.substr(0, 13)), 100, 1000));           // not a multiple of 8
  EXPECT_FALSE(p.parse(bytes(good.substr(8) + good.substr(0, 8)), 100, 1000));  // not increasing
  EXPECT_FALSE(p.parse(bytes(good), 8, 1000));                           // offset beyond the segment
  EXPECT_FALSE(p.parse(bytes(good), 100, 90));                           // position beyond the log
  EXPECT_TRUE(p.parse(bytes(good + std::string(16, '\0')), 100, 1000));  // Kafka preallocation padding
  EXPECT_EQ(p.size(), 2u);
  EXPECT_TRUE(p.parse(bytes(std::string(64, '\0')), 100, 1000));         // all padding = empty
  EXPECT_TRUE(p.empty());
}

TEST(offset_index, TruncateToPositionDropsLaterEntries) {
  offset_index ix;
  ix.append(1, 10);
  ix.append(2, 20);
  ix.append(3, 30);
  ix.truncate_to_position(20);
  EXPECT_EQ(ix.size(), 1u);
}

TEST(time_index, AppendsOnlyIncreasingTimestampsAndFindsLastBelow) {
  time_index t;
  EXPECT_TRUE(t.maybe_append(100, 1));
  EXPECT_FALSE(t.maybe_append(100, 2));
  EXPECT_FALSE(t.maybe_append(90, 3));
  EXPECT_TRUE(t.maybe_append(200, 5));
  EXPECT_FALSE(t.last_below(100));
  EXPECT_EQ(t.last_below(101)->relative_offset, 1);
  EXPECT_EQ(t.last_below(1000)->relative_offset, 5);
  auto s = t.serialize();
  ASSERT_EQ(s.size(), 24u);
  time_index back;
  ASSERT_TRUE(back.parse(bytes(s), 10));
  EXPECT_EQ(back.entries()[1].timestamp, 200);
  EXPECT_FALSE(back.parse(bytes(s), 4));
  EXPECT_FALSE(back.parse(bytes(s.substr(12) + s.substr(0, 12)), 10));
  t.truncate_to_offset(5);
  EXPECT_EQ(t.size(), 1u);
}

TEST(checkpoint, OffsetCheckpointRoundTripsInKafkaFormat) {
  temp_dir tmp;
  auto f = tmp.path / recovery_point_file;
  auto none = read_offset_checkpoint(f);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_FALSE(write_offset_checkpoint(f, "my-topic", 3, 12345));
  auto text = read_file(f);
  EXPECT_EQ(std::string(text.begin(), text.end()), "0\n1\nmy-topic 3 12345\n");
  EXPECT_EQ(**read_offset_checkpoint(f), 12345);
  EXPECT_FALSE(fs::exists(tmp.path / (std::string(recovery_point_file) + ".tmp")));
  write_file(f, {'1', '\n', '0', '\n'});
  EXPECT_EQ(read_offset_checkpoint(f).error(), make_error_code(errc::corrupt));
  write_file(f, {'0', '\n', '2', '\n', 'x', ' ', '1', ' ', '2', '\n'});
  EXPECT_EQ(read_offset_checkpoint(f).error(), make_error_code(errc::corrupt));
}

TEST(leader_epoch_cache, AssignTruncateAndEndOffsets) {
  leader_epoch_cache c;
  EXPECT_TRUE(c.assign(1, 0));
  EXPECT_FALSE(c.assign(1, 5));
  EXPECT_FALSE(c.assign(0, 7));
  EXPECT_TRUE(c.assign(3, 10));
  EXPECT_TRUE(c.assign(5, 20));
  EXPECT_EQ(c.end_offset_for(0, 30), std::make_pair(0, int64_t{0}));  // below the first epoch: where it starts
  EXPECT_EQ(c.end_offset_for(1, 30), std::make_pair(1, int64_t{10}));
  EXPECT_EQ(c.end_offset_for(4, 30), std::make_pair(3, int64_t{20}));
  EXPECT_EQ(c.end_offset_for(5, 30), std::make_pair(5, int64_t{30}));
  EXPECT_EQ(c.end_offset_for(9, 30), std::make_pair(5, int64_t{30}));
  c.truncate_from_end(20);
  EXPECT_EQ(c.latest()->epoch, 3);
  c.truncate_from_start(15);
  EXPECT_EQ(c.entries(), (std::vector<epoch_entry>{{3, 15}}));
  auto text = c.serialize();
  EXPECT_EQ(text, "0\n1\n3 15\n");
  auto back = leader_epoch_cache::parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->entries(), c.entries());
  EXPECT_FALSE(leader_epoch_cache::parse("0\n2\n5 10\n3 20\n"));
  EXPECT_FALSE(leader_epoch_cache::parse("garbage"));
}

TEST(leader_epoch_cache, AssignDropsEntriesThatWouldBreakOffsetOrder) {
  leader_epoch_cache c;
  c.assign(1, 0);
  c.assign(2, 10);
  c.assign(3, 5);  // a newer epoch starting lower (after a truncation we did not see)
  EXPECT_EQ(c.entries(), (std::vector<epoch_entry>{{1, 0}, {3, 5}}));
}

}  // namespace
}  // namespace samsa::storage
