// Replication throttling: the byte-rate bucket and which replicas the topic configs name.
#include "samsa/replica/replication_quota.h"

#include <gtest/gtest.h>

namespace samsa::replica {
namespace {

TEST(ReplicationQuota, UnlimitedByDefault) {
  replication_quota q;
  q.record(1LL << 40, 0);
  EXPECT_FALSE(q.exceeded(0));
}

TEST(ReplicationQuota, SpendsOneSecondOfRateThenRefills) {
  replication_quota q(1000);  // 1000 bytes/s
  EXPECT_FALSE(q.exceeded(0));
  q.record(600, 0);
  EXPECT_FALSE(q.exceeded(0));
  q.record(600, 0);
  EXPECT_TRUE(q.exceeded(0));     // 200 bytes in debt
  EXPECT_TRUE(q.exceeded(100));   // +100: still in debt
  EXPECT_FALSE(q.exceeded(300));  // +300 since 0: 100 left
  q.record(5000, 300);
  EXPECT_TRUE(q.exceeded(4000));  // 4900 in debt, +3700: still 1200 in debt
  EXPECT_FALSE(q.exceeded(10000));
}

TEST(ReplicationQuota, BurstIsCappedAtOneSecond) {
  replication_quota q(1000);
  q.record(0, 0);
  q.record(1500, 60000);  // a long idle time earns at most one second of bytes
  EXPECT_TRUE(q.exceeded(60000));
}

TEST(ReplicaThrottled, WildcardAndPairs) {
  EXPECT_FALSE(replica_throttled("", 0, 1));
  EXPECT_TRUE(replica_throttled("*", 3, 7));
  EXPECT_TRUE(replica_throttled("0:1, 2:3", 2, 3));
  EXPECT_FALSE(replica_throttled("0:1,2:3", 2, 1));
  EXPECT_FALSE(replica_throttled("10:1", 0, 1));
}

}  // namespace
}  // namespace samsa::replica
