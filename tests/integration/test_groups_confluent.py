#!/usr/bin/python3
"""Consumer groups with confluent-kafka-python 1.7.0 (librdkafka 2.0.2) against a real samsad.

Three consumers share a 6-partition topic (disjoint assignments covering every partition, every message consumed
exactly once); a consumer killed without LeaveGroup loses its partitions after the session timeout; commit, stop,
restart resumes exactly after the committed offsets; committed offsets survive a kill -9 of the broker; the
cooperative-sticky assignor works.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, wait_for  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 6


def consumer_conf(broker, group, **extra):
    c = {"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False,
         "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
         "fetch.wait.max.ms": 100, "socket.timeout.ms": 20000, "log_level": 3, "topic.metadata.refresh.interval.ms": 2000}
    c.update(extra)
    return c


class Worker(threading.Thread):
    """A consumer polling in its own thread; records (partition, offset, value) and its current assignment."""

    def __init__(self, broker, group, topic, name, **conf):
        super().__init__(daemon=True, name=name)
        self.c = Consumer(consumer_conf(broker, group, **conf))
        self.topic = topic
        self.msgs = []
        self.errors = []
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.assigned = set()
        self.commit_on_revoke = True

        def on_revoke(consumer, parts):
            if self.commit_on_revoke:
                try:
                    self.commit_consumed()
                except Exception as e:  # noqa: BLE001 - reported, not fatal for the rebalance
                    self.errors.append("commit on revoke: %s" % e)

        self.c.subscribe([topic], on_revoke=on_revoke)

    def run(self):
        while not self.stop_ev.is_set():
            m = self.c.poll(0.2)
            try:
                a = {tp.partition for tp in self.c.assignment()}
            except Exception:  # noqa: BLE001 - consumer closing
                a = set()
            with self.lock:
                self.assigned = a
            if m is None:
                continue
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    self.errors.append(str(m.error()))
                continue
            with self.lock:
                self.msgs.append((m.partition(), m.offset(), m.value()))

    def assignment(self):
        with self.lock:
            return set(self.assigned)

    def count(self):
        with self.lock:
            return len(self.msgs)

    def stop(self):
        self.stop_ev.set()
        self.join(10)

    def commit_consumed(self):
        """Synchronously commits (last consumed offset + 1) of every partition this worker read from."""
        with self.lock:
            ends = {}
            for (p, o, _) in self.msgs:
                ends[p] = max(ends.get(p, -1), o + 1)
        if ends:
            res = self.c.commit(offsets=[TopicPartition(self.topic, p, o) for p, o in sorted(ends.items())],
                                asynchronous=False)
            bad = [tp for tp in res if tp.error]
            assert not bad, "commit errors: %s" % bad

    def finish(self, commit=True):
        self.stop()
        if commit:
            self.commit_consumed()
        self.c.close()


def finish_all(workers, commit=True):
    """Stop every poller, commit each (no member has left yet, so no rebalance is in progress), then close."""
    for w in workers:
        w.stop()
    if commit:
        for w in workers:
            w.commit_consumed()
    for w in workers:
        w.c.close()


def produce(broker, topic, n, start=0):
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(start, start + n):
        p.produce(topic, value=b"m%06d" % i, partition=i % PARTITIONS)
    assert p.flush(60) == 0
    return [b"m%06d" % i for i in range(start, start + n)]


def wait_stable(workers, timeout=40, what="assignments"):
    def ok():
        sets = [w.assignment() for w in workers]
        if any(not s for s in sets):
            return False
        union = set().union(*sets)
        return sum(len(s) for s in sets) == PARTITIONS and union == set(range(PARTITIONS)) and sets
    return wait_for(ok, timeout, interval=0.2, what=what)


KILLED_CONSUMER = r"""
import sys, time
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "session.timeout.ms": 6000,
              "heartbeat.interval.ms": 500, "auto.offset.reset": "earliest", "enable.auto.commit": False,
              "log_level": 3})
c.subscribe([sys.argv[3]])
while True:
    c.poll(0.2)
    a = c.assignment()
    if a:
        print("ASSIGNED " + ",".join(str(tp.partition) for tp in a), flush=True)
"""


class Groups(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-groups-confluent",
                            overrides={"group.initial.rebalance.delay.ms": "500"}).start()
        cls.admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})
        fs = cls.admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in ("g-three", "g-kill", "g-resume", "g-coop")])
        for f in fs.values():
            f.result(30)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def tearDown(self):
        self.broker.assert_alive("after " + self.id())

    def test_1_three_consumers_exactly_once(self):
        workers = [Worker(self.broker, "three", "g-three", "w%d" % i) for i in range(3)]
        for w in workers:
            w.start()
        sets = wait_stable(workers)
        self.assertTrue(all(len(s) == 2 for s in sets), sets)  # range over 6 partitions and 3 members
        sent = produce(self.broker, "g-three", 600)
        wait_for(lambda: sum(w.count() for w in workers) >= 600, 60, what="600 messages consumed")
        time.sleep(1)  # anything extra (a duplicate) would arrive now
        got = [v for w in workers for (_, _, v) in w.msgs]
        self.assertEqual(len(got), 600, "messages consumed: %d (duplicates: %d)" % (len(got), len(got) - len(set(got))))
        self.assertEqual(sorted(got), sent)
        for w in workers:  # each consumed only from its own partitions
            self.assertTrue({p for (p, _, _) in w.msgs} <= w.assignment())
        self.assertEqual(sum(w.errors.__len__() for w in workers), 0, [w.errors for w in workers])
        finish_all(workers)
        # All offsets committed: a fresh consumer of the group sees the ends.
        c = Consumer(consumer_conf(self.broker, "three"))
        committed = c.committed([TopicPartition("g-three", p) for p in range(PARTITIONS)], timeout=20)
        c.close()
        self.assertEqual([tp.offset for tp in committed], [100] * PARTITIONS)

    def test_2_killed_consumer_partitions_move_after_session_timeout(self):
        survivors = [Worker(self.broker, "kill", "g-kill", "s%d" % i) for i in range(2)]
        for w in survivors:
            w.start()
        wait_stable(survivors)
        victim = subprocess.Popen([harness.PYTHON, "-c", KILLED_CONSUMER, self.broker.bootstrap, "kill", "g-kill"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            # Wait until the victim owns partitions and the survivors hold the rest.
            victim_parts = set()
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                line = victim.stdout.readline().decode().strip()
                if line.startswith("ASSIGNED "):
                    victim_parts = {int(x) for x in line.split()[1].split(",")}
                    others = set().union(*[w.assignment() for w in survivors])
                    if victim_parts and not (victim_parts & others) and (victim_parts | others) == set(range(PARTITIONS)):
                        break
            self.assertTrue(victim_parts, "the third consumer never got partitions")
            killed_at = time.monotonic()
            victim.send_signal(signal.SIGKILL)  # no LeaveGroup
            victim.wait(10)
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait(10)
            victim.stdout.close()
        sets = wait_stable(survivors, timeout=30, what="the killed consumer's partitions to move")
        moved_after = time.monotonic() - killed_at
        harness.log("partitions %s moved %.1f s after SIGKILL: %s" % (sorted(victim_parts), moved_after, sets))
        self.assertGreater(moved_after, 4.0, "moved before the 6 s session timeout could have expired")
        self.assertLess(moved_after, 20.0)
        # The survivors now consume from the dead member's partitions too.
        produce(self.broker, "g-kill", 60)
        wait_for(lambda: sum(w.count() for w in survivors) >= 60, 30, what="messages after the move")
        parts = {p for w in survivors for (p, _, _) in w.msgs}
        self.assertTrue(victim_parts <= parts)
        finish_all(survivors)

    def test_3_commit_stop_restart_resumes_and_survives_broker_kill(self):
        produce(self.broker, "g-resume", 300)
        workers = [Worker(self.broker, "resume", "g-resume", "r%d" % i) for i in range(3)]
        for w in workers:
            w.start()
        wait_for(lambda: sum(w.count() for w in workers) >= 300, 60, what="first 300 messages")
        finish_all(workers)
        first = sorted(v for w in workers for (_, _, v) in w.msgs)
        self.assertEqual(len(first), 300)
        self.assertEqual(len(set(first)), 300)
        # Offsets are fsynced before OffsetCommit is answered: they survive kill -9 of the broker.
        self.broker.kill9()
        self.broker.start()
        c = Consumer(consumer_conf(self.broker, "resume"))
        committed = wait_for(lambda: c.committed([TopicPartition("g-resume", p) for p in range(PARTITIONS)],
                                                 timeout=10), 40, what="committed() after restart")
        c.close()
        self.assertEqual([tp.offset for tp in committed], [50] * PARTITIONS)
        sent = produce(self.broker, "g-resume", 300, start=300)
        workers = [Worker(self.broker, "resume", "g-resume", "q%d" % i) for i in range(3)]
        for w in workers:
            w.start()
        wait_for(lambda: sum(w.count() for w in workers) >= 300, 60, what="300 new messages")
        time.sleep(1)
        second = [(p, o, v) for w in workers for (p, o, v) in w.msgs]
        finish_all(workers)
        self.assertEqual(sorted(v for (_, _, v) in second), sent, "resumed exactly after the committed offsets")
        for p in range(PARTITIONS):
            self.assertEqual(min(o for (pp, o, _) in second if pp == p), 50)

    def test_4_cooperative_sticky(self):
        conf = {"partition.assignment.strategy": "cooperative-sticky"}
        a = Worker(self.broker, "coop", "g-coop", "ca", **conf)
        b = Worker(self.broker, "coop", "g-coop", "cb", **conf)
        for w in (a, b):
            w.commit_on_revoke = False
            w.start()
        sets = wait_stable([a, b])
        self.assertEqual(sorted(len(s) for s in sets), [3, 3])
        c = Worker(self.broker, "coop", "g-coop", "cc", **conf)
        c.commit_on_revoke = False
        c.start()
        sets = wait_stable([a, b, c])
        self.assertEqual(sorted(len(s) for s in sets), [2, 2, 2])
        sent = produce(self.broker, "g-coop", 120)
        wait_for(lambda: sum(w.count() for w in (a, b, c)) >= 120, 40, what="cooperative consumers consume")
        self.assertEqual(sorted(v for w in (a, b, c) for (_, _, v) in w.msgs), sent)
        finish_all([a, b, c], commit=False)


    def test_5_cooperative_two_members_never_own_a_partition_together(self):
        # Issue 20 item 4: with cooperative-sticky, a partition moves only after its owner revoked it (an extra
        # rebalance round), so two members never own it at once. Repeated with fresh groups: the second member joins
        # once the first owns both partitions.
        fs = self.admin.create_topics([NewTopic("g-coop2", 2, 1)])
        fs["g-coop2"].result(30)
        for round_ in range(6):
            group = "coop2-%d" % round_
            owned = {"c1": set(), "c2": set()}
            violations = []

            def make(name):
                other = "c2" if name == "c1" else "c1"
                c = Consumer(consumer_conf(self.broker, group, **{"partition.assignment.strategy": "cooperative-sticky",
                                                                  "heartbeat.interval.ms": 100}))

                def on_assign(consumer, parts):
                    for tp in parts:
                        if tp.partition in owned[other]:
                            violations.append("round %d: %s got partition %d while %s still owned it"
                                              % (round_, name, tp.partition, other))
                        owned[name].add(tp.partition)

                def on_revoke(consumer, parts):
                    for tp in parts:
                        owned[name].discard(tp.partition)

                c.subscribe(["g-coop2"], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
                return c

            c1 = make("c1")
            deadline = time.monotonic() + 30
            while owned["c1"] != {0, 1} and time.monotonic() < deadline:
                c1.poll(0.05)
            self.assertEqual(owned["c1"], {0, 1}, "round %d: the first member owns both partitions" % round_)
            c2 = make("c2")
            deadline = time.monotonic() + 30
            while not (len(owned["c1"]) == 1 and len(owned["c2"]) == 1) and time.monotonic() < deadline:
                c1.poll(0.02)
                c2.poll(0.02)
            self.assertEqual(violations, [])
            self.assertEqual((len(owned["c1"]), len(owned["c2"])), (1, 1), "round %d: %s" % (round_, owned))
            self.assertEqual(owned["c1"] | owned["c2"], {0, 1})
            c2.close()
            c1.close()

if __name__ == "__main__":
    harness.main(timeout=300)
