#!/usr/bin/python3
"""Replication across processes: three combined samsad nodes on loopback, topics with replication factor 3.

A Jepsen-style checker: an idempotent confluent-kafka producer (acks=all) writes numbered values to a topic with
min.insync.replicas=2 while the harness, cycle after cycle, kill -9s the leader of partition 0 (and restarts it)
and SIGSTOPs a follower for longer than replica.lag.time.max.ms (and resumes it). Afterwards everything is read
back and checked:
  * acknowledged-and-lost: every value whose delivery was acknowledged is in the log, at the acknowledged offset;
  * duplicates: no value appears twice (idempotence across leader changes);
  * offset inconsistencies: offsets are dense, and once the cluster settled every replica's log is byte-identical;
all three must be 0. Reported: cycles survived, failover time (kill -> a new leader in the metadata) median/p99.

Also: acks=all is refused with NOT_ENOUGH_REPLICAS while the ISR is below min.insync.replicas, and consumers
never see records above the high watermark.
"""

import os
import signal
import statistics
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, free_port, log, wait_for  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

CYCLES = int(os.environ.get("SAMSA_REPLICATION_CYCLES", "4"))
SESSION_TIMEOUT_MS = 3000
LAG_TIME_MS = 1500
TOPIC = "jepsen"
PARTITIONS = 3


def cluster(n=3, extra=None):
    client = [free_port() for _ in range(n)]
    ctrl = [free_port() for _ in range(n)]
    voters = ",".join("%d@127.0.0.1:%d" % (i + 1, ctrl[i]) for i in range(n))
    nodes = []
    for i in range(n):
        b = Broker(name="rnode%d" % (i + 1), port=client[i], overrides={
            "node.id": str(i + 1),
            "controller.quorum.voters": voters,
            "controller.quorum.election.timeout.ms": "500",
            "broker.heartbeat.interval.ms": "300",
            "broker.session.timeout.ms": str(SESSION_TIMEOUT_MS),
            "replica.lag.time.max.ms": str(LAG_TIME_MS),
            "replica.fetch.backoff.ms": "200",
        })
        b.overrides.update(extra or {})
        b.overrides["listeners"] = "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (client[i], ctrl[i])
        nodes.append(b)
    return nodes


def start_all(nodes):
    """Starts every node, waits until all listen, and returns the bootstrap list."""
    for b in nodes:
        b.start(wait=False)
    for b in nodes:
        b.wait_ready(timeout=30)
    return ",".join(b.bootstrap for b in nodes)


def create_replicated(nodes, bootstrap, topic, partitions, config=None):
    """Creates a topic with replication factor 3 and waits until each partition has a leader and a full ISR."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=3,
                                  config=config or {})])[topic].result(timeout=30)
    for p in range(partitions):
        wait_for(lambda: (lambda v: v and v[0] > 0 and len(v[2]) == 3)(partition_view(nodes, topic, p)), 20,
                 what="%s-%d with a leader and a full ISR" % (topic, p))


def partition_view(nodes, topic, p, exclude=()):
    """(leader, replicas, isr) of a partition as the first live node reports it, or None."""
    for b in nodes:
        if b in exclude or not b.running():
            continue
        try:
            md = harness.metadata(b.port, timeout=2, host=b.host)
        except Exception:  # noqa: BLE001 - starting or stopped
            continue
        t = md["topics"].get(topic)
        if t and p in t:
            return t[p]
    return None


def log_bytes(node, topic, p):
    d = os.path.join(node.data_dir, "%s-%d" % (topic, p))
    out = b""
    for name in sorted(f for f in os.listdir(d) if f.endswith(".log")):
        with open(os.path.join(d, name), "rb") as fh:
            out += fh.read()
    return out



def verify(test, checker, nodes, bootstrap, failovers):
    """Stops the checker's producer, reads every partition back and asserts the checker's counts are 0."""
    checker.stop.set()
    checker.thread.join(180)
    test.assertFalse(checker.thread.is_alive(), "the producer did not finish")
    ends = {}
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "checker", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "log_level": 2})
    for p in range(PARTITIONS):
        lo, hi = consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=20)
        ends[p] = hi
    consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
    seen = {}       # value -> [(partition, offset)]
    offsets = {p: [] for p in range(PARTITIONS)}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(
            (offsets[p][-1] + 1 if offsets[p] else 0) < ends[p] for p in range(PARTITIONS)):
        m = consumer.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                log("consume error: %s" % m.error())
            continue
        seen.setdefault(m.value().decode(), []).append((m.partition(), m.offset()))
        offsets[m.partition()].append(m.offset())
    consumer.close()

    lost = [v for v, where in checker.acked.items() if where not in seen.get(v, [])]
    duplicates = [v for v, where in seen.items() if len(where) > 1]
    gaps = sum(1 for p in range(PARTITIONS) for a, b in zip(offsets[p], offsets[p][1:]) if b != a + 1)
    gaps += sum(1 for p in range(PARTITIONS) if offsets[p] and offsets[p][0] != 0)

    # Replica logs: identical on every node once all caught up (same bytes: batches are copied as they are).
    def identical():
        for p in range(PARTITIONS):
            logs = [log_bytes(b, TOPIC, p) for b in nodes]
            if not all(x == logs[0] for x in logs):
                return None
        return True
    try:
        wait_for(identical, 30, interval=0.5, what="every replica's log to be identical")
        divergent = 0
    except AssertionError:
        divergent = sum(1 for p in range(PARTITIONS) if len({log_bytes(b, TOPIC, p) for b in nodes}) > 1)
    fo = sorted(failovers)
    p99 = fo[min(len(fo) - 1, int(round(0.99 * (len(fo) - 1))))]
    log("checker: %d sent, %d acknowledged, %d failed deliveries; acknowledged-and-lost %d, duplicates %d, "
        "offset inconsistencies %d, divergent replicas %d; %d cycles; failover median %.2f s, p99 %.2f s"
        % (checker.sent, len(checker.acked), len(checker.failed), len(lost), len(duplicates), gaps, divergent,
           len(failovers), statistics.median(fo), p99))
    test.assertGreater(len(checker.acked), 500, "too few acknowledged writes to check anything")
    test.assertEqual(lost[:10], [], "acknowledged writes lost (%d)" % len(lost))
    test.assertEqual(duplicates[:10], [], "duplicated writes (%d)" % len(duplicates))
    test.assertEqual(gaps, 0, "offsets not dense")
    test.assertEqual(divergent, 0, "replicas differ")


class Checker:
    """Produces numbered values with acks=all + idempotence in a thread; remembers what was acknowledged where."""

    def __init__(self, bootstrap, extra=None):
        conf = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
                "message.timeout.ms": 120000, "retry.backoff.ms": 100, "topic.metadata.refresh.interval.ms": 1000,
                "log_level": 2}
        conf.update(extra or {})
        self.producer = Producer(conf)
        self.acked = {}     # value -> (partition, offset)
        self.failed = {}    # value -> error
        self.last_ack = {}  # partition -> monotonic time of the latest acknowledgement
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def on_delivery(self, err, msg):
        v = msg.value().decode()
        if err is not None:
            self.failed[v] = str(err)
        else:
            self.acked[v] = (msg.partition(), msg.offset())
            self.last_ack[msg.partition()] = time.monotonic()

    def run(self):
        while not self.stop.is_set():
            v = "v%07d" % self.sent
            try:
                self.producer.produce(TOPIC, value=v.encode(), partition=self.sent % PARTITIONS,
                                      on_delivery=self.on_delivery)
                self.sent += 1
            except BufferError:
                pass
            self.producer.poll(0.002)
        self.producer.flush(120)


class ReplicationTest(unittest.TestCase):
    def test_no_acknowledged_write_lost_across_leader_kills_and_stalls(self):
        nodes = cluster()
        bootstrap = start_all(nodes)
        create_replicated(nodes, bootstrap, TOPIC, PARTITIONS, {"min.insync.replicas": "2"})

        checker = Checker(bootstrap)
        checker.thread.start()
        wait_for(lambda: len(checker.acked) >= 200, 30, what="the first acknowledged writes")
        failovers = []
        for cycle in range(CYCLES):
            leader = wait_for(lambda: (lambda v: v[0] if v and v[0] > 0 else None)(partition_view(nodes, TOPIC, 0)),
                              30, what="a leader for partition 0")
            victim = nodes[leader - 1]
            before = len(checker.acked)
            log("cycle %d: kill -9 node %d, leader of %s-0 (%d acknowledged so far)" % (cycle, leader, TOPIC, before))
            victim.kill9()
            t0 = time.monotonic()
            new = wait_for(lambda: (lambda v: v[0] if v and v[0] > 0 and v[0] != leader else None)(
                partition_view(nodes, TOPIC, 0, exclude=(victim,))), 30, interval=0.05,
                what="a new leader of %s-0 after killing node %d" % (TOPIC, leader))
            failovers.append(time.monotonic() - t0)
            log("cycle %d: node %d leads %s-0 after %.2f s" % (cycle, new, TOPIC, failovers[-1]))
            wait_for(lambda: len(checker.acked) >= before + 100, 60,
                     what="writes acknowledged with node %d down" % leader)
            victim.start(timeout=30)
            wait_for(lambda: all(len((partition_view(nodes, TOPIC, p) or (0, [], []))[2]) == 3
                                 for p in range(PARTITIONS)), 60, interval=0.2,
                     what="node %d back in every ISR" % leader)
            # A follower stalls (SIGSTOP) longer than replica.lag.time.max.ms: it leaves the ISR, writes go on
            # with two in-sync replicas, and it rejoins after SIGCONT.
            view = partition_view(nodes, TOPIC, 1)
            follower = next(r for r in view[1] if r != view[0])
            stalled = nodes[follower - 1]
            log("cycle %d: SIGSTOP follower node %d of %s-1" % (cycle, follower, TOPIC))
            os.kill(stalled.proc.pid, signal.SIGSTOP)
            before = len(checker.acked)
            try:
                wait_for(lambda: len(checker.acked) >= before + 100, 60,
                         what="writes acknowledged while node %d is stopped" % follower)
                time.sleep(LAG_TIME_MS / 1000 * 1.5)
            finally:
                os.kill(stalled.proc.pid, signal.SIGCONT)
            wait_for(lambda: all(len((partition_view(nodes, TOPIC, p) or (0, [], []))[2]) == 3
                                 for p in range(PARTITIONS)), 60, interval=0.2,
                     what="node %d back in every ISR after SIGCONT" % follower)
        verify(self, checker, nodes, bootstrap, failovers)
        for b in nodes:
            b.stop()

    def test_min_insync_replicas_and_high_watermark(self):
        nodes = cluster()
        bootstrap = start_all(nodes)
        create_replicated(nodes, bootstrap, "misr", 1, {"min.insync.replicas": "3"})

        def produce_one(value, acks):
            p = Producer({"bootstrap.servers": bootstrap, "acks": acks, "message.timeout.ms": 4000,
                          "retries": 0, "log_level": 2})
            out = []
            p.produce("misr", value=value, partition=0, on_delivery=lambda e, m: out.append(e))
            p.flush(10)
            return out[0] if out else "no report"

        self.assertIsNone(produce_one(b"all-in-sync", "all"))
        leader, replicas, _ = partition_view(nodes, "misr", 0)
        follower = nodes[next(r for r in replicas if r != leader) - 1]
        follower.kill9()
        # Every live node (the leader included: its leader state follows its image) reports the smaller ISR.
        wait_for(lambda: all((lambda v: v and len(v[2]) == 2)(partition_view([b], "misr", 0))
                             for b in nodes if b is not follower), 30,
                 what="the ISR to shrink to 2 after killing node %s" % follower.name)
        err = produce_one(b"refused", "all")
        self.assertIsNotNone(err, "acks=all with ISR 2 < min.insync.replicas 3 must fail")
        self.assertEqual(err.code(), KafkaError.NOT_ENOUGH_REPLICAS, str(err))
        self.assertIsNone(produce_one(b"acks-1-still-works", "1"))
        follower.start(timeout=30)
        wait_for(lambda: (lambda v: v and len(v[2]) == 3)(partition_view(nodes, "misr", 0)), 30,
                 what="the ISR to grow back to 3")
        self.assertIsNone(produce_one(b"all-again", "all"))
        out = harness.run([harness.KCAT, "-C", "-b", bootstrap, "-t", "misr", "-p", "0", "-e", "-o", "beginning"],
                          timeout=30).stdout
        self.assertEqual(out.split(b"\n")[:3], [b"all-in-sync", b"acks-1-still-works", b"all-again"])
        for b in nodes:
            b.stop()

    def test_deleting_a_replicated_topic(self):
        """Followers stop fetching a deleted topic and every node removes its replicas; the name can be reused."""
        nodes = cluster()
        bootstrap = start_all(nodes)
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
        for round_ in range(2):
            create_replicated(nodes, bootstrap, "gone", 2)
            harness.run([harness.KCAT, "-P", "-b", bootstrap, "-t", "gone", "-p", "0", "-X", "acks=all"],
                        input=b"round-%d\n" % round_, timeout=30)
            out = harness.run([harness.KCAT, "-C", "-b", bootstrap, "-t", "gone", "-p", "0", "-e", "-o", "beginning"],
                              timeout=30).stdout
            self.assertEqual(out, b"round-%d\n" % round_, "a recreated topic starts empty")
            wait_for(lambda: all(os.path.isdir(os.path.join(b.data_dir, "gone-0")) and
                                 len(log_bytes(b, "gone", 0)) == len(log_bytes(nodes[0], "gone", 0)) for b in nodes),
                     20, what="every replica to have the record")
            admin.delete_topics(["gone"])["gone"].result(timeout=30)
            wait_for(lambda: not any(os.path.isdir(os.path.join(b.data_dir, "gone-%d" % p))
                                     for b in nodes for p in range(2)), 30,
                     what="every node to remove the deleted topic's replicas")
        for b in nodes:
            b.assert_alive("after deleting replicated topics")
            b.stop()


if __name__ == "__main__":
    harness.main(timeout=900)
