// The purgatory wakes only the waiters of the partition that changed.
#include "samsa/replica/purgatory.h"

#include <gtest/gtest.h>

namespace samsa::replica {
namespace {

struct counting_waiter final : purgatory::waiter {
  int woken = 0;
  void wake() override { ++woken; }
};

// Keys are partition addresses; the purgatory never dereferences them.
const partition* key(uintptr_t n) { return reinterpret_cast<const partition*>(n * 64); }

TEST(Purgatory, NotifyWakesOnlyThatPartitionsWaiters) {
  purgatory q;
  counting_waiter a, b, c;
  q.watch(key(1), &a);
  q.watch(key(2), &b);
  q.watch(key(1), &c);
  q.watch(key(3), &c);  // one waiter on two partitions
  EXPECT_EQ(q.size(), 4u);
  q.notify(key(1));
  EXPECT_EQ(a.woken, 1);
  EXPECT_EQ(b.woken, 0);
  EXPECT_EQ(c.woken, 1);
  q.notify(key(3));
  EXPECT_EQ(c.woken, 2);
  EXPECT_EQ(a.woken, 1);
  q.notify(key(9));  // nobody waits there
  EXPECT_EQ(a.woken + b.woken + c.woken, 3);
}

TEST(Purgatory, UnwatchedWaitersAreNotWoken) {
  purgatory q;
  counting_waiter a, b;
  q.watch(key(1), &a);
  q.watch(key(1), &b);
  q.unwatch(key(1), &a);
  q.unwatch(key(1), &a);  // twice: harmless
  q.unwatch(key(2), &b);  // never watched there: harmless
  EXPECT_EQ(q.size(), 1u);
  q.notify(key(1));
  EXPECT_EQ(a.woken, 0);
  EXPECT_EQ(b.woken, 1);
  q.unwatch(key(1), &b);
  EXPECT_EQ(q.size(), 0u);
  q.notify(key(1));
  EXPECT_EQ(b.woken, 1);
}

// A waiter may stay registered across several notifications (it unwatches when its coroutine resumes).
TEST(Purgatory, RepeatedNotificationsWakeAgain) {
  purgatory q;
  counting_waiter a;
  q.watch(key(5), &a);
  for (int i = 0; i < 3; ++i) q.notify(key(5));
  EXPECT_EQ(a.woken, 3);
}

}  // namespace
}  // namespace samsa::replica
