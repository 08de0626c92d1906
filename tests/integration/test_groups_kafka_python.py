#!/usr/bin/python3
"""Consumer groups with kafka-python 2.0.2 against a real samsad: two group consumers with the range assignor
(JoinGroup v2, SyncGroup/Heartbeat v1, OffsetCommit v2, OffsetFetch v1, FindCoordinator v0), commit and
committed(), and the admin client's list_consumer_groups / describe_consumer_groups / list_consumer_group_offsets.
"""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, wait_for  # noqa: E402

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402
from kafka.coordinator.assignors.range import RangePartitionAssignor  # noqa: E402

TOPIC = "kp-groups"
GROUP = "kp-group"
PARTITIONS = 4
N = 200


class Poller(threading.Thread):
    def __init__(self, consumer):
        super().__init__(daemon=True)
        self.c = consumer
        self.msgs = []
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.assigned = set()
        self.error = None

    def run(self):
        try:
            while not self.stop_ev.is_set():
                batch = self.c.poll(timeout_ms=200)
                with self.lock:
                    for tp, recs in batch.items():
                        self.msgs.extend((tp.partition, r.offset, r.value) for r in recs)
                    self.assigned = {tp.partition for tp in self.c.assignment()}
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def snapshot(self):
        with self.lock:
            return list(self.msgs), set(self.assigned)


class KafkaPythonGroups(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-groups-kafka-python",
                            overrides={"group.initial.rebalance.delay.ms": "300"}).start()
        admin = KafkaAdminClient(bootstrap_servers=cls.broker.bootstrap, request_timeout_ms=20000)
        admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
        admin.close()
        p = KafkaProducer(bootstrap_servers=cls.broker.bootstrap, acks="all")
        for i in range(N):
            p.send(TOPIC, value=b"v%04d" % i, partition=i % PARTITIONS)
        p.flush(30)
        p.close()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def consumer(self):
        return KafkaConsumer(TOPIC, bootstrap_servers=self.broker.bootstrap, group_id=GROUP,
                             auto_offset_reset="earliest", enable_auto_commit=False, client_id="kp-client",
                             partition_assignment_strategy=[RangePartitionAssignor],
                             session_timeout_ms=10000, heartbeat_interval_ms=500, fetch_max_wait_ms=100,
                             request_timeout_ms=30000)

    def test_group_consumers_commit_and_admin(self):
        a, b = Poller(self.consumer()), Poller(self.consumer())
        a.start()
        b.start()

        def balanced():
            ma, sa = a.snapshot()
            mb, sb = b.snapshot()
            return sa and sb and not (sa & sb) and (sa | sb) == set(range(PARTITIONS)) and len(ma) + len(mb) >= N

        wait_for(balanced, 60, what="both consumers assigned (range) and all messages consumed")
        time.sleep(0.5)
        ma, sa = a.snapshot()
        mb, sb = b.snapshot()
        self.assertIsNone(a.error)
        self.assertIsNone(b.error)
        self.assertEqual(sorted(sa), [0, 1] if 0 in sa else [2, 3])  # range: contiguous halves
        values = sorted(v for (_, _, v) in ma + mb)
        self.assertEqual(len(set(values)), N)

        # Describe the live group from the admin client.
        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap, request_timeout_ms=20000)
        groups = admin.list_consumer_groups()
        self.assertIn((GROUP, "consumer"), groups)
        [info] = admin.describe_consumer_groups([GROUP])
        self.assertEqual(info.group, GROUP)
        self.assertEqual(info.state, "Stable")
        self.assertEqual(info.protocol_type, "consumer")
        self.assertEqual(info.protocol, "range")
        self.assertEqual(len(info.members), 2)
        for m in info.members:
            self.assertEqual(m.client_id, "kp-client")
            self.assertTrue(m.client_host.startswith("/127.0.0.1"), m.client_host)
            self.assertEqual(m.member_metadata.subscription, [TOPIC])
            self.assertEqual(len(m.member_assignment.assignment[0][1]), 2)

        # Stop polling, then commit from each consumer (its own partitions) and read it back.
        for p in (a, b):
            p.stop_ev.set()
            p.join(10)
        for p in (a, b):
            p.c.commit()
        a_parts = [TopicPartition(TOPIC, i) for i in sorted(sa)]
        self.assertEqual([a.c.committed(tp) for tp in a_parts], [N // PARTITIONS] * len(a_parts))
        offsets = admin.list_consumer_group_offsets(GROUP)
        self.assertEqual({tp.partition: om.offset for tp, om in offsets.items()},
                         {i: N // PARTITIONS for i in range(PARTITIONS)})
        for p in (a, b):
            p.c.close()  # LeaveGroup

        def empty():
            [g] = admin.describe_consumer_groups([GROUP])
            return g.state == "Empty"
        wait_for(empty, 20, what="group Empty after both consumers left")
        # Unknown groups are Dead, as in Kafka.
        [dead] = admin.describe_consumer_groups(["no-such-group"])
        self.assertEqual(dead.state, "Dead")
        admin.close()

        # A fresh consumer of the group starts after the committed offsets: nothing left to read.
        c = self.consumer()
        got = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            for recs in c.poll(timeout_ms=200).values():
                got.extend(recs)
        self.assertEqual([c.committed(TopicPartition(TOPIC, i)) for i in range(PARTITIONS)], [N // PARTITIONS] * 4)
        c.close()
        self.assertEqual(got, [])


if __name__ == "__main__":
    harness.main(timeout=240)
