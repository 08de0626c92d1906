#!/usr/bin/python3
"""ElectLeaders (API key 43) and preferred-leader rebalancing on three combined samsad nodes.

No client installed here sends ElectLeaders (librdkafka 2.0.2, kafka-python 2.0.2 and kafkajs 2.2.4 lack it), so the
requests are built by hand over the raw wire protocol, in every version (v0: no election type; v1; v2: flexible).
Topics are created with replication factor 3 by confluent-kafka's AdminClient. Checked:
  * a healthy cluster answers ELECTION_NOT_NEEDED (preferred and unclean), and a null partition list reports nothing;
  * unknown topics and partitions answer UNKNOWN_TOPIC_OR_PARTITION;
  * a node that is not the active controller forwards the request and relays the controller's answer;
  * with the preferred replica killed (kill -9) and its leadership moved, a preferred election answers
    PREFERRED_LEADER_NOT_AVAILABLE (also in the null-list form), an unclean one ELECTION_NOT_NEEDED.
  * end to end (auto.leader.rebalance.enable): the preferred leader is killed, leadership moves, it restarts, and
    with a short leader.imbalance.check.interval.seconds the leadership comes back to it once the restarted replica
    has caught up and re-entered the ISR.
"""

import json
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import connect, log, read_frame, read_uvarint, request, uvarint, wait_for  # noqa: E402
from test_quorum import cluster_nodes, controller_of  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

NONE, UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER, INVALID_REQUEST = 0, 3, 41, 42
PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, ELECTION_NOT_NEEDED = 80, 83, 84
PREFERRED, UNCLEAN = 0, 1
SESSION_TIMEOUT_S = 5.0  # test_quorum's broker.session.timeout.ms: a killed broker is fenced after this


# ---- ElectLeaders on the wire ----------------------------------------------------------------------------------


def encode_elect(version, election_type, partitions, timeout_ms=15000):
    """partitions: {topic: [p, ...]} or None (every partition)."""
    flexible = version >= 2
    out = b""
    if version >= 1:
        out += struct.pack(">b", election_type)
    if partitions is None:
        out += uvarint(0) if flexible else struct.pack(">i", -1)
    else:
        out += uvarint(len(partitions) + 1) if flexible else struct.pack(">i", len(partitions))
        for topic, ps in partitions.items():
            t = topic.encode()
            out += (uvarint(len(t) + 1) if flexible else struct.pack(">h", len(t))) + t
            out += uvarint(len(ps) + 1) if flexible else struct.pack(">i", len(ps))
            out += b"".join(struct.pack(">i", p) for p in ps)
            if flexible:
                out += b"\x00"
    out += struct.pack(">i", timeout_ms)
    if flexible:
        out += b"\x00"
    return out


class Reader:
    def __init__(self, frame, flexible):
        self.f, self.pos, self.flexible = frame, 0, flexible

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.f, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def uvarint(self):
        v, self.pos = read_uvarint(self.f, self.pos)
        return v

    def count(self):
        return self.uvarint() - 1 if self.flexible else self.take(">i")

    def string(self):
        n = self.uvarint() - 1 if self.flexible else self.take(">h")
        if n < 0:
            return None
        s = self.f[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def tags(self):
        if not self.flexible:
            return
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()


def decode_elect(frame, version):
    """-> (top-level error, {(topic, partition): (error, message)}). Response header v1 when flexible."""
    r = Reader(frame, version >= 2)
    r.take(">i")  # correlation id
    r.tags()
    r.take(">i")  # throttle
    top = r.take(">h") if version >= 1 else NONE
    results = {}
    for _ in range(r.count()):
        topic = r.string()
        for _ in range(r.count()):
            p = r.take(">i")
            err = r.take(">h")
            msg = r.string()
            r.tags()
            results[(topic, p)] = (err, msg)
        r.tags()
    r.tags()
    assert r.pos == len(frame), "trailing bytes in the ElectLeaders v%d response" % version
    return top, results


def elect(port, partitions, election_type=PREFERRED, version=1, timeout=20):
    with connect(port, timeout) as s:
        s.sendall(request(43, version, 4343, encode_elect(version, election_type, partitions), flexible=version >= 2))
        f = read_frame(s)
    if f is None:
        raise AssertionError("ElectLeaders v%d: connection closed without a response" % version)
    return decode_elect(f, version)


def codes(results):
    return {tp: err for tp, (err, _) in results.items()}


# ---- the cluster ---------------------------------------------------------------------------------------------------


def start_cluster(extra=None):
    nodes = cluster_nodes(3)
    for b in nodes:
        b.overrides.update(extra or {})
        b.start(wait=False)
    for b in nodes:
        b.wait_ready(timeout=30)
    wait_for(lambda: all(len(harness.metadata(b.port)["brokers"]) == 3 for b in nodes), 30,
             what="all three brokers registered and unfenced")
    return nodes


def create_topic(nodes, name, partitions=3):
    admin = AdminClient({"bootstrap.servers": ",".join(b.bootstrap for b in nodes), "log_level": 2})
    for f in admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=3)]).values():
        f.result(timeout=20)
    md = wait_for(lambda: (lambda m: m if name in m["topics"] and len(m["topics"][name]) == partitions else None)(
        harness.metadata(nodes[0].port)), 10, what="topic %s in the metadata" % name)
    return md["topics"][name]  # {p: (leader, replicas, isr)}


def leader_of(node, topic, p):
    return harness.metadata(node.port, timeout=3)["topics"][topic][p][0]


def non_controller(nodes):
    c = wait_for(lambda: controller_of(nodes), 30, what="an active controller")
    return c, next(b for i, b in enumerate(nodes) if i + 1 != c and b.running())


class HealthyCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nodes = start_cluster()
        cls.parts = create_topic(cls.nodes, "el")

    @classmethod
    def tearDownClass(cls):
        for b in cls.nodes:
            b.stop()

    def test_every_replica_is_preferred_once(self):
        for p, (leader, replicas, isr) in self.parts.items():
            self.assertEqual(len(replicas), 3)
            self.assertEqual(leader, replicas[0], "a new partition is led by its preferred replica")
            self.assertEqual(sorted(isr), [1, 2, 3])

    def test_healthy_cluster_needs_no_election(self):
        c, _ = non_controller(self.nodes)
        controller = self.nodes[c - 1]
        for version in (0, 1, 2):
            for etype in ((PREFERRED,) if version == 0 else (PREFERRED, UNCLEAN)):
                top, res = elect(controller.port, {"el": [0, 1, 2]}, etype, version)
                self.assertEqual(top, NONE)
                self.assertEqual(codes(res), {("el", p): ELECTION_NOT_NEEDED for p in range(3)},
                                 "v%d type %d" % (version, etype))
        # Null list: every partition is tried, and ELECTION_NOT_NEEDED is not reported.
        for version in (0, 1, 2):
            top, res = elect(controller.port, None, PREFERRED, version)
            self.assertEqual((top, res), (NONE, {}), "v%d" % version)
        # Nothing changed.
        self.assertEqual(harness.metadata(controller.port)["topics"]["el"], self.parts)

    def test_unknown_topic_or_partition(self):
        c, _ = non_controller(self.nodes)
        for version in (0, 1, 2):
            top, res = elect(self.nodes[c - 1].port, {"el": [0, 7, -1], "no-such-topic": [0]}, PREFERRED, version)
            self.assertEqual(top, NONE)
            self.assertEqual(codes(res), {("el", 0): ELECTION_NOT_NEEDED, ("el", 7): UNKNOWN_TOPIC_OR_PARTITION,
                                          ("el", -1): UNKNOWN_TOPIC_OR_PARTITION,
                                          ("no-such-topic", 0): UNKNOWN_TOPIC_OR_PARTITION}, "v%d" % version)

    def test_unknown_election_type(self):
        c, _ = non_controller(self.nodes)
        top, res = elect(self.nodes[c - 1].port, {"el": [0]}, 2, 1)
        self.assertEqual((top, codes(res)), (INVALID_REQUEST, {("el", 0): INVALID_REQUEST}))

    def test_forwarded_from_a_node_that_is_not_the_controller(self):
        c, other = non_controller(self.nodes)
        log("ElectLeaders to node %s, the active controller is node %d" % (other.name, c))
        for version in (0, 1, 2):
            top, res = elect(other.port, {"el": [0, 1, 2], "no-such-topic": [3]}, PREFERRED, version)
            self.assertEqual(top, NONE, "v%d: forwarded, not NOT_CONTROLLER" % version)
            expected = {("el", p): ELECTION_NOT_NEEDED for p in range(3)}
            expected[("no-such-topic", 3)] = UNKNOWN_TOPIC_OR_PARTITION
            self.assertEqual(codes(res), expected, "v%d" % version)
        top, res = elect(other.port, {"el": [1]}, UNCLEAN, 2)
        self.assertEqual((top, codes(res)), (NONE, {("el", 1): ELECTION_NOT_NEEDED}))
        self.assertEqual(elect(other.port, None, PREFERRED, 1), (NONE, {}))


class PreferredReplicaKilled(unittest.TestCase):
    def test_preferred_leader_not_available(self):
        # A 1 s balance check: the active controller notices the imbalance (and, with the preferred replica out of
        # the ISR, has nothing it may move).
        nodes = start_cluster({"leader.imbalance.check.interval.seconds": "1"})
        try:
            parts = create_topic(nodes, "el-kill")
            c, _ = non_controller(nodes)
            # A partition whose preferred replica is not the active controller: killing it moves no controller.
            p, (_, replicas, _) = next((p, s) for p, s in sorted(parts.items()) if s[1][0] != c)
            victim_id = replicas[0]
            victim = nodes[victim_id - 1]
            survivor = next(b for i, b in enumerate(nodes) if i + 1 != victim_id)
            log("kill -9 node %d, the preferred replica of el-kill-%d" % (victim_id, p))
            victim.kill9()
            # Until its session expires it still leads: nothing to elect.
            new_leader = wait_for(lambda: (lambda l: l if l not in (victim_id,) else None)(
                leader_of(survivor, "el-kill", p)), SESSION_TIMEOUT_S * 4, interval=0.2,
                what="leadership of el-kill-%d to move away from the killed node %d" % (p, victim_id))
            self.assertIn(new_leader, replicas[1:])
            for node in (b for b in nodes if b.running()):  # the controller, and a node that forwards
                for version in (0, 1, 2):
                    top, res = elect(node.port, {"el-kill": [p]}, PREFERRED, version)
                    self.assertEqual(top, NONE)
                    self.assertEqual(codes(res), {("el-kill", p): PREFERRED_LEADER_NOT_AVAILABLE},
                                     "%s v%d: %r" % (node.name, version, res))
                    self.assertTrue(res[("el-kill", p)][1], "an error message explains why")
                # Null list: the partition that cannot go back is reported, those already balanced are not.
                top, res = elect(node.port, None, PREFERRED, 1)
                self.assertEqual(top, NONE)
                self.assertEqual(codes(res), {("el-kill", p): PREFERRED_LEADER_NOT_AVAILABLE})
                # It has a live leader: an unclean election is not needed.
                top, res = elect(node.port, {"el-kill": [p]}, UNCLEAN, 1)
                self.assertEqual(codes(res), {("el-kill", p): ELECTION_NOT_NEEDED})
            self.assertEqual(leader_of(survivor, "el-kill", p), new_leader, "failed elections change nothing")
            # The periodic check runs in the active controller and sees broker victim_id leading none of its
            # partitions; nothing was moved (the leader is unchanged, checked above).
            controller = nodes[c - 1]

            def imbalance_logged():
                with open(controller.log_path, "rb") as f:
                    return (b"leader imbalance: broker %d leads 0 of the 1 partitions" % victim_id) in f.read()
            wait_for(imbalance_logged, 10, interval=0.2, what="the active controller to log the leader imbalance")
            # samsactl's view of the same (when it was built next to samsad).
            samsactl = os.environ.get("SAMSACTL") or os.path.join(
                os.path.dirname(os.path.dirname(harness.broker_binary())), "cli", "samsactl")
            if os.path.exists(samsactl):
                cli = harness.run([samsactl, "-b", survivor.bootstrap, "cluster", "elect-leaders", "--format", "json"],
                                  check=False, timeout=30)
                self.assertEqual(cli.returncode, 1, (cli.stdout + cli.stderr).decode())
                j = json.loads(cli.stdout)
                self.assertEqual([(r["topic"], r["partition"], r["error"]) for r in j["results"]],
                                 [("el-kill", p, "PREFERRED_LEADER_NOT_AVAILABLE")])
            else:
                log("samsactl not found at %s: CLI check skipped" % samsactl)
        finally:
            for b in nodes:
                b.stop()


class AutoLeaderRebalance(unittest.TestCase):
    def test_leadership_returns_to_the_restarted_preferred_replica(self):
        nodes = start_cluster({"leader.imbalance.check.interval.seconds": "2",
                               "leader.imbalance.per.broker.percentage": "10"})
        try:
            parts = create_topic(nodes, "el-auto")
            c, _ = non_controller(nodes)
            p, (_, replicas, _) = next((p, s) for p, s in sorted(parts.items()) if s[1][0] != c)
            victim_id = replicas[0]
            victim = nodes[victim_id - 1]
            survivor = next(b for i, b in enumerate(nodes) if i + 1 != victim_id)
            log("kill -9 node %d, the preferred replica of el-auto-%d" % (victim_id, p))
            victim.kill9()
            wait_for(lambda: leader_of(survivor, "el-auto", p) not in (victim_id, -1), SESSION_TIMEOUT_S * 4,
                     interval=0.2, what="leadership of el-auto-%d to move away from node %d" % (p, victim_id))
            victim.start(timeout=30)
            log("node %d restarted; waiting for it to rejoin the ISR and get its leadership back" % victim_id)
            wait_for(lambda: victim_id in harness.metadata(survivor.port, timeout=3)["topics"]["el-auto"][p][2], 60,
                     interval=0.2, what="node %d back in the ISR of el-auto-%d" % (victim_id, p))
            # At most one check interval (2 s) after that, plus commit and propagation.
            wait_for(lambda: all(leader_of(b, "el-auto", p) == victim_id for b in nodes), 20, interval=0.2,
                     what="the rebalance to give el-auto-%d back to its preferred replica %d" % (p, victim_id))
            final = harness.metadata(survivor.port)["topics"]["el-auto"]
            self.assertTrue(all(leader == reps[0] for leader, reps, _ in final.values()),
                            "every partition led by its preferred replica: %r" % (final,))
        finally:
            for b in nodes:
                b.stop()


if __name__ == "__main__":
    harness.main(timeout=600)
