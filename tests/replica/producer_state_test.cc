#include <gtest/gtest.h>

#include "samsa/protocol/kafka_error.h"
#include "samsa/replica/producer_state.h"

namespace samsa::replica {
namespace kafka_error = protocol::kafka_error;
namespace {

batch_identity batch(int64_t pid, int16_t epoch, int32_t first, int32_t count) {
  return {pid, epoch, first, first + count - 1};
}

TEST(ProducerState, NonIdempotentBatchesAreNeverChecked) {
  producer_state s;
  EXPECT_EQ(s.check_append({-1, -1, -1, -1}).error, protocol::kafka_errc::none);
}

TEST(ProducerState, NewProducerMustStartAtSequenceZero) {
  producer_state s;
  EXPECT_EQ(s.check_append(batch(7, 0, 0, 3)).error, protocol::kafka_errc::none);
  EXPECT_EQ(s.check_append(batch(7, 0, 5, 3)).error, kafka_error::unknown_producer_id);
}

TEST(ProducerState, InOrderBatchesAreAcceptedAndGapsRejected) {
  producer_state s;
  s.on_append(batch(7, 0, 0, 3), 100, 102);
  EXPECT_EQ(s.check_append(batch(7, 0, 3, 2)).error, protocol::kafka_errc::none);
  EXPECT_EQ(s.check_append(batch(7, 0, 4, 2)).error, kafka_error::out_of_order_sequence_number);
  EXPECT_EQ(s.check_append(batch(7, 0, 9, 1)).error, kafka_error::out_of_order_sequence_number);
}

TEST(ProducerState, RetryOfOneOfTheLastFiveBatchesReturnsItsOffset) {
  producer_state s;
  for (int i = 0; i < 6; ++i) s.on_append(batch(7, 0, i * 10, 10), 1000 + i * 10, 1009 + i * 10);
  auto dup = s.check_append(batch(7, 0, 20, 10));
  EXPECT_EQ(dup.error, protocol::kafka_errc::none);
  ASSERT_TRUE(dup.duplicate_of.has_value());
  EXPECT_EQ(*dup.duplicate_of, 1020);
  // The oldest of six fell out of the window: no longer recognised as a duplicate.
  auto old = s.check_append(batch(7, 0, 0, 10));
  EXPECT_FALSE(old.duplicate_of.has_value());
  EXPECT_EQ(old.error, kafka_error::out_of_order_sequence_number);
}

TEST(ProducerState, StaleEpochIsFencedAndNewEpochRestartsAtZero) {
  producer_state s;
  s.on_append(batch(7, 3, 0, 5), 0, 4);
  EXPECT_EQ(s.check_append(batch(7, 2, 5, 1)).error, kafka_error::invalid_producer_epoch);
  EXPECT_EQ(s.check_append(batch(7, 4, 5, 1)).error, kafka_error::out_of_order_sequence_number);
  EXPECT_EQ(s.check_append(batch(7, 4, 0, 1)).error, protocol::kafka_errc::none);
  s.on_append(batch(7, 4, 0, 1), 5, 5);
  EXPECT_EQ(s.check_append(batch(7, 3, 5, 1)).error, kafka_error::invalid_producer_epoch);
}

TEST(ProducerState, SequencesWrapAtInt32Max) {
  producer_state s;
  s.on_append({7, 0, INT32_MAX - 1, INT32_MAX}, 0, 1);
  EXPECT_EQ(s.check_append({7, 0, 0, 4}).error, protocol::kafka_errc::none);
  EXPECT_EQ(next_sequence(INT32_MAX), 0);
}

TEST(ProducerState, ProducersAreIndependent) {
  producer_state s;
  s.on_append(batch(1, 0, 0, 5), 0, 4);
  s.on_append(batch(2, 0, 0, 5), 5, 9);
  EXPECT_EQ(s.check_append(batch(1, 0, 5, 1)).error, protocol::kafka_errc::none);
  EXPECT_EQ(s.check_append(batch(2, 0, 5, 1)).error, protocol::kafka_errc::none);
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace samsa::replica
