#!/usr/bin/python3
"""Consumer groups on a real 3-node cluster (three combined broker,controller samsad processes on loopback).

The coordinator of a group is the leader of its __consumer_offsets partition, as in Kafka. Checked:
  * __consumer_offsets is created with 3 replicas (offsets.topic.replication.factor's default) and its partition
    leaders are spread over the three nodes;
  * FindCoordinator answers the leader of the group's partition (node id, host and port of its advertised
    listener), the same whichever node is asked, and different groups get different coordinators;
  * several groups, chosen so that their coordinators are on every node, consume a topic with confluent-kafka
    (bootstrapped through a node that is not their coordinator) and commit synchronously;
  * the committed offsets read back through another bootstrap node, with confluent-kafka and over the raw
    protocol (OffsetFetch at the coordinator; NOT_COORDINATOR(16) from the others, also for Heartbeat);
  * ListGroups on each node lists exactly the groups it coordinates.
No coordinator failover: partition data is not replicated between brokers yet.
"""

import os
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import kstring, log, wait_for  # noqa: E402
from test_quorum import cluster_nodes  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "cg-data"
PARTITIONS = 6
PER_PARTITION = 25
OFFSETS = "__consumer_offsets"
NOT_COORDINATOR = 16


def java_hash(s):
    """Java's String.hashCode (ASCII names only here)."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(group, n):
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % n  # Kafka's Utils.abs


def call(port, api_key, version, body):
    """One request on a fresh connection; the response body after the correlation id."""
    with harness.connect(port, timeout=10) as s:
        s.sendall(harness.request(api_key, version, 4242, body))
        f = harness.read_frame(s)
    if f is None:
        raise AssertionError("api %d v%d: connection closed without a response" % (api_key, version))
    assert struct.unpack_from(">i", f, 0)[0] == 4242
    return Reader(f, 4)


class Reader:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos

    def take(self, fmt):
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        v = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return v


def find_coordinator(port, group):
    """FindCoordinator v1 -> (error, node_id, host, port)."""
    r = call(port, 10, 1, kstring(group) + b"\x00")
    r.take(">i")  # throttle
    err = r.take(">h")
    r.string()  # message
    return err, r.take(">i"), r.string(), r.take(">i")


def offset_fetch(port, group, topic, partitions):
    """OffsetFetch v1 -> {partition: (offset, error)}."""
    body = kstring(group) + struct.pack(">i", 1) + kstring(topic) + struct.pack(">i", len(partitions))
    body += b"".join(struct.pack(">i", p) for p in partitions)
    r = call(port, 9, 1, body)
    out = {}
    for _ in range(r.take(">i")):
        r.string()
        for _ in range(r.take(">i")):
            p = r.take(">i")
            off = r.take(">q")
            r.string()
            out[p] = (off, r.take(">h"))
    return out


def heartbeat(port, group, generation, member):
    r = call(port, 12, 0, kstring(group) + struct.pack(">i", generation) + kstring(member))
    return r.take(">h")


def list_groups(port):
    """ListGroups v0 -> (error, {group: protocol_type})."""
    r = call(port, 16, 0, b"")
    err = r.take(">h")
    groups = {}
    for _ in range(r.take(">i")):
        g = r.string()
        groups[g] = r.string()
    return err, groups


class GroupsOnAClusterTest(unittest.TestCase):
    def test_coordinators_follow_offsets_partition_leaders(self):
        nodes = cluster_nodes(3)
        for b in nodes:
            # Creating __consumer_offsets (50 partitions x 3 replicas) keeps each node's network thread, which the
            # quorum shares, busy for a while on a loaded machine: no need to churn controllers meanwhile.
            b.overrides["controller.quorum.election.timeout.ms"] = "2000"
        for b in nodes:
            b.start(wait=False)
        for b in nodes:
            b.wait_ready(timeout=30)
        by_id = {i + 1: b for i, b in enumerate(nodes)}
        bootstrap = ",".join(b.bootstrap for b in nodes)

        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
        for f in admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)]).values():
            f.result(timeout=20)
        wait_for(lambda: all(TOPIC in harness.metadata(b.port)["topics"] and
                             all(l >= 0 for l, _, _ in harness.metadata(b.port)["topics"][TOPIC].values())
                             for b in nodes), 20, what="every node to see %s with leaders" % TOPIC)
        p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "log_level": 2})
        for part in range(PARTITIONS):
            for i in range(PER_PARTITION):
                p.produce(TOPIC, value=b"%d-%d" % (part, i), partition=part)
        self.assertEqual(p.flush(30), 0, "every message delivered")

        # The first lookup creates __consumer_offsets; COORDINATOR_NOT_AVAILABLE until it exists.
        wait_for(lambda: find_coordinator(nodes[1].port, "probe")[0] == 0, 30, interval=0.2,
                 what="FindCoordinator to succeed once __consumer_offsets exists")

        def offsets_everywhere():
            views = [harness.metadata(b.port) for b in nodes]
            if not all(OFFSETS in v["topics"] and all(l >= 0 for l, _, _ in v["topics"][OFFSETS].values())
                       for v in views):
                return None
            return views[0] if all(v["topics"][OFFSETS] == views[0]["topics"][OFFSETS] for v in views) else None

        md = wait_for(offsets_everywhere, 30, interval=0.2,
                      what="every node to see __consumer_offsets with the same leaders")
        offsets = md["topics"][OFFSETS]
        n = len(offsets)
        self.assertEqual(n, 50, "offsets.topic.num.partitions default")
        self.assertTrue(all(len(replicas) == 3 for _, replicas, _ in offsets.values()),
                        "offsets.topic.replication.factor defaults to 3: %r" % offsets)
        leaders = {p: leader for p, (leader, _, _) in offsets.items()}
        self.assertEqual(set(leaders.values()), {1, 2, 3}, "leaders spread over the nodes: %r" % leaders)

        # Two groups per node, by Kafka's group -> partition mapping.
        groups, per_node = [], {1: 0, 2: 0, 3: 0}
        i = 0
        while len(groups) < 6:
            g = "cg-%d" % i
            i += 1
            node = leaders[partition_for(g, n)]
            if per_node[node] < 2:
                per_node[node] += 1
                groups.append(g)
        expected_coord = {g: leaders[partition_for(g, n)] for g in groups}
        log("groups and their coordinators: %r" % expected_coord)

        # FindCoordinator: the same answer from every node, the partition leader at its advertised endpoint.
        for g in groups:
            answers = {find_coordinator(b.port, g) for b in nodes}
            self.assertEqual(len(answers), 1, "every node gives the same coordinator for %s: %r" % (g, answers))
            err, node_id, host, port = answers.pop()
            self.assertEqual(err, 0)
            self.assertEqual(node_id, expected_coord[g])
            self.assertEqual((host, port), md["brokers"][node_id])
            self.assertEqual(port, by_id[node_id].port)
        self.assertEqual(len({expected_coord[g] for g in groups}), 3, "coordinators on every node")

        # Consume everything in every group at once and commit; bootstrap through a node other than the
        # coordinator, so the client has to follow FindCoordinator.
        results, failures = {}, []

        def consume(g):
            other = by_id[expected_coord[g] % 3 + 1]
            c = Consumer({"bootstrap.servers": other.bootstrap, "group.id": g, "enable.auto.commit": False,
                          "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                          "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100, "log_level": 3})
            try:
                c.subscribe([TOPIC])
                got = {}
                deadline = time.monotonic() + 90
                while sum(got.values()) < PARTITIONS * PER_PARTITION and time.monotonic() < deadline:
                    m = c.poll(0.5)
                    if m is None:
                        continue
                    if m.error():
                        if m.error().code() != KafkaError._PARTITION_EOF:
                            failures.append("%s: %s" % (g, m.error()))
                        continue
                    got[m.partition()] = got.get(m.partition(), 0) + 1
                committed = c.commit(asynchronous=False)
                results[g] = (got, {tp.partition: (tp.offset, tp.error) for tp in committed})
            except Exception as e:  # noqa: BLE001 - reported below
                failures.append("%s: %r" % (g, e))
            finally:
                c.close()

        threads = [threading.Thread(target=consume, args=(g,), daemon=True) for g in groups]
        for t in threads:
            t.start()
        for t in threads:
            t.join(150)
        self.assertEqual(failures, [])
        for g in groups:
            got, committed = results[g]
            self.assertEqual(got, {p: PER_PARTITION for p in range(PARTITIONS)}, "%s consumed everything" % g)
            self.assertEqual(committed, {p: (PER_PARTITION, None) for p in range(PARTITIONS)},
                             "%s committed every partition" % g)

        for g in groups:
            coord = by_id[expected_coord[g]]
            others = [b for b in nodes if b is not coord]
            # confluent-kafka through another bootstrap node (it finds the coordinator and asks it).
            c = Consumer({"bootstrap.servers": others[1].bootstrap, "group.id": g, "log_level": 3})
            try:
                tps = c.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=20)
            finally:
                c.close()
            self.assertEqual({tp.partition: tp.offset for tp in tps}, {p: PER_PARTITION for p in range(PARTITIONS)},
                             "committed offsets of %s read back through node %s" % (g, others[1].name))
            # Raw: the coordinator answers; the other nodes are not its coordinator.
            self.assertEqual(offset_fetch(coord.port, g, TOPIC, list(range(PARTITIONS))),
                             {p: (PER_PARTITION, 0) for p in range(PARTITIONS)})
            for b in others:
                self.assertEqual(offset_fetch(b.port, g, TOPIC, [0]), {0: (-1, NOT_COORDINATOR)},
                                 "OffsetFetch of %s at %s" % (g, b.name))
                self.assertEqual(heartbeat(b.port, g, 1, "m"), NOT_COORDINATOR)

        # ListGroups: each node lists the groups of the __consumer_offsets partitions it leads.
        for node_id, b in by_id.items():
            err, listed = list_groups(b.port)
            self.assertEqual(err, 0)
            mine = {g for g in listed if g.startswith("cg-")}
            self.assertEqual(mine, {g for g in groups if expected_coord[g] == node_id}, "ListGroups at %s" % b.name)
        for b in nodes:
            b.stop()


if __name__ == "__main__":
    harness.main(timeout=600)
