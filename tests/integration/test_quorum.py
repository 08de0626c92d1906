#!/usr/bin/python3
"""The metadata quorum across processes: three combined (broker,controller) samsad nodes on loopback.

While confluent-kafka's AdminClient keeps creating and deleting topics (sent to whichever node it likes; the
nodes forward to the active controller), the harness kill -9s the active controller again and again and
restarts it. Checked:
  * a new active controller is elected within the election timeout bound after every kill (failover times are
    reported: median and max);
  * no acknowledged metadata change is lost: every topic whose creation was acknowledged and that was not
    acknowledged-deleted exists at the end, and every acknowledged deletion stays deleted;
  * every node converges to the same metadata (topics, partitions, leaders) at the end;
  * a single node restarted with no configuration keeps its topics (the metadata log persists).
"""

import os
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, free_port, log, wait_for  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

CYCLES = 6
ELECTION_TIMEOUT_MS = 500
# Election: the followers' timeout is randomised in [T, 2T); with pre-vote one extra round may be needed.
# Generous on a loaded 2-core CI machine.
FAILOVER_BOUND_S = 10.0
SESSION_TIMEOUT_MS = 5000


def cluster_nodes(n=3, brokers_only=0):
    """n combined voters, then `brokers_only` broker-only nodes (process.roles=broker, ids n+1...)."""
    client = [free_port() for _ in range(n)]
    ctrl = [free_port() for _ in range(n)]
    voters = ",".join("%d@127.0.0.1:%d" % (i + 1, ctrl[i]) for i in range(n))
    nodes = []
    for j in range(brokers_only):
        i = n + j
        b = Broker(name="node%d-broker" % (i + 1), overrides={
            "process.roles": "broker",
            "node.id": str(i + 1),
            "controller.quorum.voters": voters,
            "broker.heartbeat.interval.ms": "300",
            "broker.session.timeout.ms": str(SESSION_TIMEOUT_MS),
        })
        nodes.append(b)
    observers = nodes
    nodes = []
    for i in range(n):
        b = Broker(name="node%d" % (i + 1), port=client[i], overrides={
            "node.id": str(i + 1),
            "controller.quorum.voters": voters,
            "controller.quorum.election.timeout.ms": str(ELECTION_TIMEOUT_MS),
            "broker.heartbeat.interval.ms": "300",
            "broker.session.timeout.ms": str(SESSION_TIMEOUT_MS),
        })
        b.overrides["listeners"] = "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (client[i], ctrl[i])
        nodes.append(b)
    return nodes + observers


def controller_of(nodes, exclude=None):
    """The active controller id as the live nodes report it (all agreeing), or None."""
    seen = set()
    for b in nodes:
        if b is exclude or not b.running():
            continue
        try:
            md = harness.metadata(b.port, timeout=2)
        except Exception:  # noqa: BLE001 - a node still starting
            continue
        seen.add(md["controller"])
    if len(seen) == 1:
        c = seen.pop()
        return c if c >= 0 else None
    return None


class QuorumTest(unittest.TestCase):
    def test_leader_kills_while_topics_change(self):
        nodes = cluster_nodes()
        for b in nodes:
            b.start(wait=False)
        for b in nodes:
            b.wait_ready(timeout=30)
        bootstrap = ",".join(b.bootstrap for b in nodes)

        created, deleted, failovers = set(), set(), []
        seq = 0

        def change(tag):
            """Create two topics and delete one earlier topic; remember what was acknowledged."""
            nonlocal seq
            # A fresh client per round: librdkafka keeps waiting for a dead controller id it learned earlier
            # instead of refreshing its metadata, which would only measure the client's patience.
            admin = AdminClient({"bootstrap.servers": ",".join(b.bootstrap for b in nodes if b.running()),
                                 "socket.timeout.ms": 3000, "log_level": 2})
            names = []
            for _ in range(2):
                seq += 1
                names.append("q-%s-%03d" % (tag, seq))
            futs = admin.create_topics([NewTopic(n, num_partitions=2, replication_factor=1) for n in names],
                                       operation_timeout=10, request_timeout=15)
            for n, f in futs.items():
                try:
                    f.result(timeout=20)
                    created.add(n)
                except Exception as e:  # noqa: BLE001 - unacknowledged: may or may not exist
                    log("create %s not acknowledged: %s" % (n, e))
            victims = sorted(created - deleted)[:1]
            if victims:
                for n, f in admin.delete_topics(victims, operation_timeout=10, request_timeout=15).items():
                    try:
                        f.result(timeout=20)
                        deleted.add(n)
                    except Exception as e:  # noqa: BLE001
                        log("delete %s not acknowledged: %s" % (n, e))

        leader = wait_for(lambda: controller_of(nodes), 30, what="an active controller")
        change("start")
        for cycle in range(CYCLES):
            leader = wait_for(lambda: controller_of(nodes), 30, what="an active controller")
            victim = nodes[leader - 1]
            log("cycle %d: kill -9 the active controller, node %d" % (cycle, leader))
            victim.kill9()
            t0 = time.monotonic()
            new_leader = wait_for(lambda: (lambda c: c if c is not None and c != leader else None)(
                controller_of(nodes, exclude=victim)), FAILOVER_BOUND_S, interval=0.05,
                what="a new active controller after killing node %d" % leader)
            failovers.append(time.monotonic() - t0)
            log("cycle %d: node %d took over in %.2f s" % (cycle, new_leader, failovers[-1]))
            change("c%d" % cycle)  # with one node down: still a quorum of 2
            victim.start(timeout=30)

        # Convergence: every node reports the same topics with the same partitions and leaders.
        expected = created - deleted

        def converged():
            views = [harness.metadata(b.port, timeout=3) for b in nodes]
            topics = [{n: sorted(p) for n, p in v["topics"].items() if n.startswith("q-")} for v in views]
            if not all(t == topics[0] for t in topics):
                return None
            if not all(v["topics"] == views[0]["topics"] for v in views):
                return None
            return topics[0]

        final = wait_for(converged, 30, interval=0.2, what="all nodes to report the same metadata")
        lost = sorted(expected - set(final))
        resurrected = sorted(deleted & set(final))
        self.assertEqual(lost, [], "acknowledged topic creations lost")
        self.assertEqual(resurrected, [], "acknowledged topic deletions undone")
        for name in expected:
            self.assertEqual(final[name], [0, 1], "partitions of %s" % name)
        self.assertEqual(len(failovers), CYCLES)
        # Each round asks for two creations (one node down in all but the first): most must be acknowledged, or
        # the loss check above proves nothing.
        self.assertGreaterEqual(len(created), CYCLES + 1, "too few acknowledged creations to check anything")
        self.assertGreaterEqual(len(deleted), CYCLES // 2, "too few acknowledged deletions to check anything")
        log("failover after kill -9 of the active controller: median %.2f s, max %.2f s over %d cycles; "
            "%d topics created, %d deleted (acknowledged)" % (statistics.median(failovers), max(failovers),
                                                              CYCLES, len(created), len(deleted)))
        # Controlled shutdown: SIGTERM fences the broker at once (well before its session could expire), so the
        # others stop listing it right away.
        leaving = nodes[0] if controller_of(nodes) != 1 else nodes[1]
        t0 = time.monotonic()
        self.assertEqual(leaving.stop(), 0, "SIGTERM must shut down cleanly")
        others = [b for b in nodes if b is not leaving]
        node_id = nodes.index(leaving) + 1
        wait_for(lambda: all(node_id not in harness.metadata(b.port, timeout=3)["brokers"] for b in others),
                 10, interval=0.05, what="node %d to leave the broker list after SIGTERM" % node_id)
        gone = time.monotonic() - t0
        log("controlled shutdown: node %d fenced %.2f s after SIGTERM (session timeout %.1f s)"
            % (node_id, gone, SESSION_TIMEOUT_MS / 1000))
        self.assertLess(gone, SESSION_TIMEOUT_MS / 1000 * 0.8, "SIGTERM did not fence the broker before its session "
                        "expired: no controlled shutdown")
        for b in nodes:
            b.stop()

    def test_broker_only_node_follows_the_quorum(self):
        """process.roles=broker: node 4 votes in nothing, follows the committed metadata log from the quorum leader,
        registers with the active controller, serves its partitions and forwards admin requests; it keeps up when
        the active controller is killed."""
        nodes = cluster_nodes(3, brokers_only=1)
        observer = nodes[3]
        for b in nodes:
            b.start(wait=False)
        for b in nodes:
            b.wait_ready(timeout=30)
        self.assertIn(4, harness.metadata(nodes[0].port)["brokers"], "the broker-only node registered")
        # Admin through the broker-only node only: forwarded to the active controller.
        admin = AdminClient({"bootstrap.servers": observer.bootstrap, "log_level": 2})
        for f in admin.create_topics([NewTopic("obs-spread", num_partitions=8, replication_factor=1)]).values():
            f.result(timeout=20)
        md = wait_for(lambda: (lambda m: m if "obs-spread" in m["topics"] else None)(harness.metadata(observer.port)),
                      10, what="the broker-only node to see the new topic")
        led_by_4 = [p for p, (leader, _, _) in md["topics"]["obs-spread"].items() if leader == 4]
        self.assertTrue(led_by_4, "round-robin placement over 4 brokers gives node 4 partitions: %r" % (md,))
        p = led_by_4[0]
        harness.run([harness.KCAT, "-P", "-b", observer.bootstrap, "-t", "obs-spread", "-p", str(p)],
                    input=b"on-node-4\n", timeout=30)
        out = harness.run([harness.KCAT, "-C", "-b", nodes[0].bootstrap, "-t", "obs-spread", "-p", str(p), "-e",
                           "-o", "beginning"], timeout=30).stdout
        self.assertEqual(out, b"on-node-4\n")
        # The quorum loses its leader: the observer finds the new one and keeps following.
        leader = wait_for(lambda: controller_of(nodes), 30, what="an active controller")
        nodes[leader - 1].kill9()
        wait_for(lambda: (lambda c: c not in (None, leader))(controller_of(nodes, exclude=nodes[leader - 1])), 10,
                 what="a new active controller")
        admin = AdminClient({"bootstrap.servers": observer.bootstrap, "log_level": 2})
        wait_for(lambda: admin.create_topics([NewTopic("obs-after", 1, 1)])["obs-after"].result(timeout=15) is None,
                 30, interval=0.5, what="a topic created through the broker-only node after the failover")
        wait_for(lambda: "obs-after" in harness.metadata(observer.port)["topics"], 10,
                 what="the broker-only node to see the topic created after the failover")
        for b in nodes:
            b.stop()

    def test_single_node_keeps_metadata_across_restarts(self):
        b = Broker(name="single")
        b.start()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for n, f in admin.create_topics([NewTopic("kept", num_partitions=3, replication_factor=1,
                                                  config={"retention.ms": "123456"})]).items():
            f.result(timeout=20)
        before = harness.metadata(b.port)
        cluster_id_file = os.path.join(b.data_dir, "meta.properties")
        with open(cluster_id_file) as f:
            meta_before = f.read()
        b.kill9()
        b.start()
        after = harness.metadata(b.port)
        self.assertEqual(after["topics"]["kept"], before["topics"]["kept"])
        with open(cluster_id_file) as f:
            self.assertEqual(f.read(), meta_before)
        from confluent_kafka.admin import ConfigResource
        res = ConfigResource(ConfigResource.Type.TOPIC, "kept")
        configs = admin.describe_configs([res])[res].result(timeout=20)
        self.assertEqual(configs["retention.ms"].value, "123456")
        b.stop()


if __name__ == "__main__":
    harness.main(timeout=600)
