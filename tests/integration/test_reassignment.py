#!/usr/bin/python3
"""Partition reassignment (KIP-455) on a 3-node cluster, over the raw protocol (no installed client sends
AlterPartitionReassignments / ListPartitionReassignments; kafka-reassign-partitions.sh would).

A partition with one replica on node 1 holding data is moved to nodes 2 and 3: they are added, fetch and join the
ISR, then node 1 is dropped (its log directory is deleted) and a target replica leads. The data stays readable
throughout. Also: the request is forwarded from a non-controller node, errors per partition
(UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS), and ListPartitionReassignments
is empty once the move completed.
"""

import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import compact_string, log, read_uvarint, uvarint, wait_for  # noqa: E402
from test_replication import cluster, partition_view, start_all  # noqa: E402

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


class Reader:
    def __init__(self, buf, pos=0):
        self.buf, self.pos = buf, pos

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def uvarint(self):
        v, self.pos = read_uvarint(self.buf, self.pos)
        return v

    def compact_string(self):
        n = self.uvarint()
        if n == 0:
            return None
        s = self.buf[self.pos:self.pos + n - 1].decode()
        self.pos += n - 1
        return s

    def compact_ints(self):
        return [self.take(">i") for _ in range(self.uvarint() - 1)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()


def call(port, key, body):
    with harness.connect(port, 15) as s:
        s.sendall(harness.request(key, 0, 9, body, flexible=True))
        f = harness.read_frame(s)
    r = Reader(f, 4)  # correlation id
    r.tags()          # response header v1
    return r


def reassign(port, moves):
    """moves: [(topic, partition, replicas or None)] -> {(topic, partition): (error, message)}, top-level error."""
    by_topic = {}
    for t, p, reps in moves:
        by_topic.setdefault(t, []).append((p, reps))
    body = struct.pack(">i", 30000) + uvarint(len(by_topic) + 1)
    for t, parts in by_topic.items():
        body += compact_string(t) + uvarint(len(parts) + 1)
        for p, reps in parts:
            body += struct.pack(">i", p)
            body += uvarint(0) if reps is None else uvarint(len(reps) + 1) + b"".join(struct.pack(">i", x) for x in reps)
            body += uvarint(0)  # tags
        body += uvarint(0)
    body += uvarint(0)
    r = call(port, 45, body)
    r.take(">i")
    top = r.take(">h")
    r.compact_string()
    out = {}
    for _ in range(r.uvarint() - 1):
        t = r.compact_string()
        for _ in range(r.uvarint() - 1):
            p = r.take(">i")
            err = r.take(">h")
            msg = r.compact_string()
            r.tags()
            out[(t, p)] = (err, msg)
        r.tags()
    return out, top


def list_reassignments(port):
    r = call(port, 46, struct.pack(">i", 30000) + uvarint(0) + uvarint(0))  # all topics
    r.take(">i")
    err = r.take(">h")
    r.compact_string()
    out = {}
    for _ in range(r.uvarint() - 1):
        t = r.compact_string()
        for _ in range(r.uvarint() - 1):
            p = r.take(">i")
            out[(t, p)] = (r.compact_ints(), r.compact_ints(), r.compact_ints())
            r.tags()
        r.tags()
    return err, out


class ReassignmentTest(unittest.TestCase):
    def test_move_a_partition_with_its_data(self):
        nodes = cluster()
        bootstrap = start_all(nodes)
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
        admin.create_topics([NewTopic("ra", num_partitions=1, replica_assignment=[[1]])])["ra"].result(timeout=30)
        wait_for(lambda: (lambda v: v and v[0] == 1)(partition_view(nodes, "ra", 0)), 20, what="ra-0 led by node 1")
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "log_level": 2})
        for i in range(200):
            producer.produce("ra", value=b"r%03d" % i, partition=0)
        self.assertEqual(producer.flush(30), 0)

        # Sent to node 3, which forwards it to the active controller wherever it is.
        res, top = reassign(nodes[2].port, [("ra", 0, [2, 3]), ("ra", 7, [1]), ("nope", 0, [1])])
        self.assertEqual(top, 0)
        self.assertEqual(res[("ra", 0)][0], 0, res)
        self.assertEqual(res[("ra", 7)][0], 3, res)
        self.assertEqual(res[("nope", 0)][0], 3, res)
        final = wait_for(lambda: (lambda v: v if v and sorted(v[1]) == [2, 3] and sorted(v[2]) == [2, 3] and
                                  v[0] in (2, 3) else None)(partition_view(nodes, "ra", 0)), 60, interval=0.2,
                         what="ra-0 moved to nodes 2 and 3")
        log("ra-0 after the move: leader %d, replicas %r, isr %r" % final)
        wait_for(lambda: not os.path.isdir(os.path.join(nodes[0].data_dir, "ra-0")), 30,
                 what="node 1 to delete its replica of ra-0")
        err, ongoing = list_reassignments(nodes[0].port)
        self.assertEqual((err, ongoing), (0, {}), "no reassignment left in progress")
        out = harness.run([harness.KCAT, "-C", "-b", bootstrap, "-t", "ra", "-p", "0", "-e", "-o", "beginning"],
                          timeout=30).stdout.split()
        self.assertEqual(out, [b"r%03d" % i for i in range(200)], "the data moved with the partition")

        # Errors: nothing to cancel, an unregistered target, duplicates.
        res, _ = reassign(nodes[0].port, [("ra", 0, None)])
        self.assertEqual(res[("ra", 0)][0], 85, res)  # NO_REASSIGNMENT_IN_PROGRESS
        res, _ = reassign(nodes[0].port, [("ra", 0, [2, 9])])
        self.assertEqual(res[("ra", 0)][0], 39, res)  # INVALID_REPLICA_ASSIGNMENT
        res, _ = reassign(nodes[0].port, [("ra", 0, [3, 3])])
        self.assertEqual(res[("ra", 0)][0], 39, res)

        # An ongoing reassignment shows in the list and can be cancelled: node 1 is added back, but stopped first so
        # that it cannot catch up.
        nodes[0].stop()
        res, _ = reassign(nodes[1].port, [("ra", 0, [1, 2, 3])])
        self.assertEqual(res[("ra", 0)][0], 0, res)
        err, ongoing = list_reassignments(nodes[1].port)
        self.assertEqual(err, 0)
        self.assertEqual(ongoing.get(("ra", 0), (None, None, None))[1], [1], "node 1 being added: %r" % ongoing)
        res, _ = reassign(nodes[1].port, [("ra", 0, None)])
        self.assertEqual(res[("ra", 0)][0], 0, res)
        wait_for(lambda: list_reassignments(nodes[1].port)[1] == {}, 10, what="the cancelled reassignment to end")
        v = partition_view(nodes, "ra", 0)
        self.assertEqual(sorted(v[1]), [2, 3], "back to the replicas before the cancelled move: %r" % (v,))
        for b in nodes:
            b.stop()

    def test_throttled_reassignment(self):
        """follower.replication.throttled.rate slows down a new (out-of-sync) replica of a topic whose
        follower.replication.throttled.replicas names it; an unthrottled topic's new replica catches up at full speed."""
        rate = 2_000_000
        nodes = cluster(extra={"follower.replication.throttled.rate": str(rate)})
        bootstrap = start_all(nodes)
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
        size = 8_000_000
        for name, conf in (("thr", {"follower.replication.throttled.replicas": "*"}), ("unthr", {})):
            admin.create_topics([NewTopic(name, num_partitions=1, replica_assignment=[[1]], config=conf)])[name].result(
                timeout=30)
            wait_for(lambda: (lambda v: v and v[0] == 1)(partition_view(nodes, name, 0)), 20, what="%s-0" % name)
            p = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 20, "log_level": 2})
            for i in range(size // 1000):
                while True:
                    try:
                        p.produce(name, value=b"x" * 1000, partition=0)
                        break
                    except BufferError:
                        p.poll(0.05)
            self.assertEqual(p.flush(60), 0)
        took = {}
        for name in ("thr", "unthr"):
            t0 = time.monotonic()
            res, _ = reassign(nodes[0].port, [(name, 0, [1, 2])])
            self.assertEqual(res[(name, 0)][0], 0, res)
            wait_for(lambda: (lambda v: v and sorted(v[2]) == [1, 2])(partition_view(nodes, name, 0)), 60,
                     interval=0.05, what="node 2 in sync on %s-0" % name)
            took[name] = time.monotonic() - t0
        log("catch-up of %d MB: throttled at %d MB/s %.2f s, unthrottled %.2f s"
            % (size // 1_000_000, rate // 1_000_000, took["thr"], took["unthr"]))
        # One second of burst, then the rate: at least (size - rate) / rate seconds, with margin.
        self.assertGreaterEqual(took["thr"], 0.8 * (size - rate) / rate, "the throttled replica caught up too fast")
        self.assertLess(took["unthr"], took["thr"], "throttling should be what made the difference")
        for b in nodes:
            b.stop()


if __name__ == "__main__":
    harness.main(timeout=600)
