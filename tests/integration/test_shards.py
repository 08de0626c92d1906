#!/usr/bin/python3
"""Reactor shards (issue 14): a samsad with reactor.threads=4 serves connections on four event loops while shard 0
owns the partitions. Real clients on many connections at once (confluent-kafka producers with acks=all and
pipelined requests, a consumer, raw ApiVersions sockets) must see exactly what one shard would give them: every
acknowledged message read back once, in order per partition, at dense offsets; pipelined responses in request
order on every connection; and a SIGTERM while fetches are parked on shard 0 for connections of other shards must
exit cleanly (a handler still parked at shutdown must not outlive its connection's shard).
"""

import os
import socket
import sys
import threading
import time
import unittest
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402

SHARDS = 4
PRODUCERS = 6
PER_PRODUCER = 3000
PARTITIONS = 8


class Shards(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-shards", overrides={"reactor.threads": str(SHARDS),
                                                              "num.partitions": str(PARTITIONS)}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def test_01_log_names_the_shards(self):
        with open(self.broker.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        self.assertIn("serving connections on %d reactor shard(s)" % SHARDS, text)

    def test_02_pipelined_requests_answer_in_order_on_every_shard(self):
        # Enough connections that every shard serves several; each pipelines 20 ApiVersions before reading.
        socks = [socket.create_connection(("127.0.0.1", self.broker.port), timeout=10) for _ in range(3 * SHARDS)]
        try:
            for s in socks:
                s.sendall(b"".join(harness.api_versions_request(cid) for cid in range(20)))
            for s in socks:
                for cid in range(20):
                    frame = harness.read_frame(s)
                    self.assertIsNotNone(frame, "connection closed before response %d" % cid)
                    self.assertEqual(int.from_bytes(frame[:4], "big", signed=True), cid, "responses out of order")
        finally:
            for s in socks:
                s.close()

    def test_03_many_producers_every_ack_read_back_once_in_order(self):
        topic = "shards-roundtrip"
        acked = defaultdict(dict)  # partition -> {offset: value}
        errors = []
        lock = threading.Lock()

        def produce(pid):
            p = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all", "linger.ms": 2,
                          "max.in.flight.requests.per.connection": 5, "enable.idempotence": True,
                          "log_level": 3})

            def cb(err, msg):
                with lock:
                    if err is not None:
                        errors.append(err)
                    else:
                        acked[msg.partition()][msg.offset()] = msg.value()

            for i in range(PER_PRODUCER):
                while True:
                    try:
                        p.produce(topic, key=b"p%d-k%d" % (pid, i % 13), value=b"p%d-%06d" % (pid, i), callback=cb)
                        break
                    except BufferError:
                        p.poll(0.05)
                p.poll(0)
            self.assertEqual(p.flush(60), 0, "producer %d could not deliver everything" % pid)

        threads = [threading.Thread(target=produce, args=(i,)) for i in range(PRODUCERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        total = sum(len(v) for v in acked.values())
        self.assertEqual(total, PRODUCERS * PER_PRODUCER)

        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "shards-unused",
                      "enable.auto.commit": False, "enable.partition.eof": True, "log_level": 3})
        try:
            c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
            got = defaultdict(list)
            count = 0
            deadline = time.monotonic() + 90
            while count < total and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                    continue
                if m.error():
                    self.fail("consume error %s" % m.error())
                got[m.partition()].append((m.offset(), m.value()))
                count += 1
            # Nothing beyond what was acknowledged is in the log (no duplicates appended by the retries).
            for p in range(PARTITIONS):
                lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                self.assertEqual((lo, hi), (0, len(acked[p])), "partition %d" % p)
        finally:
            c.close()
        for p, recs in got.items():
            offsets = [o for o, _ in recs]
            self.assertEqual(offsets, list(range(len(recs))), "offsets of partition %d not dense" % p)
            self.assertEqual(dict(recs), acked[p], "partition %d differs from what was acknowledged" % p)
            # Each producer's messages keep their order within a partition.
            last = {}
            for _, v in recs:
                pid, seq = v.split(b"-")
                self.assertLess(last.get(pid, -1), int(seq), "producer %s reordered in partition %d" % (pid, p))
                last[pid] = int(seq)
        self.assertEqual(sum(len(v) for v in got.values()), total)

    def test_99_sigterm_with_fetches_parked_on_shard_0_exits_cleanly(self):
        topic = "shards-parked"
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "log_level": 3})
        p.produce(topic, b"x")
        self.assertEqual(p.flush(30), 0)
        consumers = []
        for i in range(2 * SHARDS):
            c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "shards-parked-%d" % i,
                          "fetch.wait.max.ms": 30000, "auto.offset.reset": "latest", "log_level": 3})
            c.assign([TopicPartition(topic, q, 1) for q in range(PARTITIONS)])
            consumers.append(c)
        # Each consumer's fetches now wait 30 s for data that never comes.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for c in consumers:
                c.poll(0.05)
        rc = self.broker.stop()
        for c in consumers:
            c.close()
        self.assertEqual(rc, 0, "samsad did not exit cleanly with fetches parked (exit status %s)" % rc)


if __name__ == "__main__":
    harness.main(timeout=400)
