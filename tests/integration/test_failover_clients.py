#!/usr/bin/python3
"""Clients across leader changes on a 3-node cluster (replication factor 3 everywhere, __consumer_offsets too).

  * confluent-kafka group consumer: its group coordinator's node is kill -9'd mid-consumption; the coordinator
    moves with the __consumer_offsets partition's leadership, the consumer rejoins there, the offsets it committed
    before the kill are still committed (replicated), and it consumes the rest without losing anything.
  * kafkajs: an idempotent producer (acks=-1) and a group consumer keep working while the leader of the topic's
    partition is kill -9'd and restarted: every acknowledged message is consumed.
"""

import json
import os
import select
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import log, wait_for  # noqa: E402
from test_replication import cluster, create_replicated, partition_view, start_all  # noqa: E402

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402

NODE = os.environ.get("NODE", "node")
JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


def find_coordinator(port, group):
    """FindCoordinator v0 over the raw protocol -> (error, node id)."""
    with harness.connect(port, 5) as s:
        s.sendall(harness.request(10, 0, 5, harness.kstring(group)))
        f = harness.read_frame(s)
    err, node = struct.unpack_from(">hi", f, 4)
    return err, node


class FailoverClients(unittest.TestCase):
    def test_confluent_group_follows_its_coordinator(self):
        nodes = cluster()
        bootstrap = start_all(nodes)
        create_replicated(nodes, bootstrap, "gf", 3, {"min.insync.replicas": "2"})
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                             "log_level": 2})
        total = 3000
        for i in range(total):
            producer.produce("gf", value=b"m%05d" % i, partition=i % 3)
        self.assertEqual(producer.flush(30), 0)

        conf = {"bootstrap.servers": bootstrap, "group.id": "gf-group", "enable.auto.commit": False,
                "auto.offset.reset": "earliest", "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
                "log_level": 2}
        consumer = Consumer(conf)
        consumer.subscribe(["gf"])
        seen = set()

        def consume_until(n, timeout):
            deadline = time.monotonic() + timeout
            while len(seen) < n and time.monotonic() < deadline:
                m = consumer.poll(0.5)
                if m is None or m.error():
                    continue
                seen.add(m.value())
                if len(seen) % 100 == 0:
                    consumer.commit(asynchronous=False)

        def commit_all():
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as e:
                if e.args[0].code() != KafkaError._NO_OFFSET:  # nothing new since the last commit
                    raise

        consume_until(total // 2, 60)
        commit_all()
        before = {tp.partition: tp.offset for tp in consumer.committed([TopicPartition("gf", p) for p in range(3)],
                                                                          timeout=10)}
        self.assertGreater(sum(before.values()), 0, "offsets committed before the kill")
        err, coord = wait_for(lambda: (lambda r: r if r[0] == 0 else None)(find_coordinator(nodes[0].port, "gf-group")),
                              20, what="a coordinator for gf-group")
        log("coordinator of gf-group is node %d; committed %r; kill -9 it" % (coord, before))
        victim = nodes[coord - 1]
        victim.kill9()
        t0 = time.monotonic()
        live = [b for b in nodes if b is not victim]
        _, new = wait_for(lambda: (lambda r: r if r[0] == 0 and r[1] != coord else None)(
            find_coordinator(live[0].port, "gf-group")), 30, interval=0.1, what="the coordinator to move")
        log("coordinator moved to node %d after %.2f s" % (new, time.monotonic() - t0))
        # The offsets committed before the kill are still there (replicated __consumer_offsets).
        probe = Consumer(dict(conf, **{"bootstrap.servers": ",".join(b.bootstrap for b in live)}))
        after = {tp.partition: tp.offset for tp in probe.committed([TopicPartition("gf", p) for p in range(3)],
                                                                     timeout=20)}
        probe.close()
        for p in range(3):
            self.assertGreaterEqual(after[p], before[p], "committed offset of gf-%d lost with its coordinator" % p)
        consume_until(total, 90)
        commit_all()
        consumer.close()
        self.assertEqual(len(seen), total, "messages consumed across the coordinator failover")
        victim.start(timeout=30)
        for b in nodes:
            b.stop()

    def test_kafkajs_across_leader_kill(self):
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "kafkajs")):
            self.fail("kafkajs is not installed in tests/integration/js (scripts/setup.sh runs npm ci)")
        nodes = cluster()
        bootstrap = start_all(nodes)
        create_replicated(nodes, bootstrap, "js-fo", 1, {"min.insync.replicas": "2"})
        client = subprocess.Popen([NODE, os.path.join(JS_DIR, "failover_client.js"), bootstrap, "js-fo", "js-group"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # Faults start once the client is connected and has one acknowledged write.
            ready, _, _ = select.select([client.stdout], [], [], 60)
            self.assertTrue(ready and client.stdout.readline().strip() == b"ready",
                            "the kafkajs client did not get ready: %s" % (client.poll(),))
            for cycle in range(2):
                leader = wait_for(lambda: (lambda v: v[0] if v and v[0] > 0 else None)(
                    partition_view(nodes, "js-fo", 0)), 30, what="a leader of js-fo-0")
                log("kafkajs cycle %d: kill -9 node %d, leader of js-fo-0" % (cycle, leader))
                nodes[leader - 1].kill9()
                time.sleep(6)
                nodes[leader - 1].start(timeout=30)
                wait_for(lambda: (lambda v: v and len(v[2]) == 3)(partition_view(nodes, "js-fo", 0)), 60,
                         what="node %d back in the ISR" % leader)
            out, err = client.communicate(b"stop\n", timeout=150)
        finally:
            if client.poll() is None:
                client.kill()
        self.assertEqual(client.returncode, 0, err.decode(errors="replace")[-3000:])
        report = json.loads(out.decode().strip().splitlines()[-1])
        log("kafkajs: %r" % report)
        self.assertGreater(report["acked"], 100, "too few acknowledged sends to check anything")
        self.assertEqual(report["missing_count"], 0, "acknowledged messages never consumed: %r" % report["missing"])
        for b in nodes:
            b.stop()


if __name__ == "__main__":
    harness.main(timeout=900)
