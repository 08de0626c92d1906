#!/usr/bin/python3
"""kafka-python 2.0.2 against a real samsad: admin create/list/delete, producer futures, manual-assign consumer."""

import logging
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, wait_for  # noqa: E402

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402
from kafka.errors import (InvalidPartitionsError, InvalidReplicationFactorError,  # noqa: E402
                          TopicAlreadyExistsError, UnknownTopicOrPartitionError)

logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

COMMON = {"request_timeout_ms": 30000, "api_version_auto_timeout_ms": 10000, "reconnect_backoff_max_ms": 1000}


class KafkaPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-kafka-python", overrides={"num.partitions": "1"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def tearDown(self):
        self.broker.assert_alive("after " + self.id())

    def producer(self, **kw):
        conf = dict(COMMON, bootstrap_servers=self.broker.bootstrap, acks="all", linger_ms=5, retries=3,
                    max_block_ms=30000)
        conf.update(kw)
        return KafkaProducer(**conf)

    def consumer(self, **kw):
        conf = dict(COMMON, bootstrap_servers=self.broker.bootstrap, group_id=None, enable_auto_commit=False,
                    auto_offset_reset="earliest", consumer_timeout_ms=10000, fetch_max_wait_ms=100,
                    request_timeout_ms=305000)
        conf.update(kw)
        return KafkaConsumer(**conf)

    def poll_n(self, c, n, timeout=60):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            for recs in c.poll(timeout_ms=500, max_records=5000).values():
                out.extend(recs)
        self.assertGreaterEqual(len(out), n, "polled %d of %d records within %d s" % (len(out), n, timeout))
        return out

    def test_00_api_version_guess(self):
        # kafka-python infers a broker version from ApiVersions and then hard-codes request versions.
        p = self.producer()
        try:
            v = p.config["api_version"]
            harness.log("kafka-python guessed broker version %s" % (v,))
            self.assertGreaterEqual(v, (0, 11), "broker must look like >= 0.11 (magic-2 records)")
        finally:
            p.close(timeout=10)

    def test_01_admin_create_list_delete(self):
        a = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap, **COMMON)
        try:
            names = ["kp-admin-a", "kp-admin-b"]
            resp = a.create_topics([NewTopic(names[0], 2, 1), NewTopic(names[1], 4, 1)], timeout_ms=20000)
            errs = [(t[0], t[1]) for t in resp.topic_errors]
            self.assertEqual(sorted(errs), sorted((n, 0) for n in names), "CreateTopics errors: %s" % resp)
            wait_for(lambda: set(names) <= set(a.list_topics()), 20, what="new topics in list_topics()")
            desc = {d["topic"]: d for d in a.describe_topics(names)}
            self.assertEqual(sorted(p["partition"] for p in desc[names[0]]["partitions"]), [0, 1])
            self.assertEqual(sorted(p["partition"] for p in desc[names[1]]["partitions"]), [0, 1, 2, 3])
            for d in desc.values():
                self.assertEqual(d["error_code"], 0)
                for p in d["partitions"]:
                    self.assertEqual((p["leader"], p["replicas"], p["isr"]), (1, [1], [1]), d)

            with self.assertRaises(TopicAlreadyExistsError):
                a.create_topics([NewTopic(names[0], 2, 1)], timeout_ms=20000)
            with self.assertRaises(InvalidReplicationFactorError):
                a.create_topics([NewTopic("kp-admin-rf3", 1, 3)], timeout_ms=20000)
            with self.assertRaises(InvalidPartitionsError):
                a.create_topics([NewTopic("kp-admin-p0", 0, 1)], timeout_ms=20000)

            resp = a.delete_topics(names, timeout_ms=20000)
            errs = [(t[0], t[1]) for t in resp.topic_error_codes]
            self.assertEqual(sorted(errs), sorted((n, 0) for n in names), "DeleteTopics errors: %s" % resp)
            wait_for(lambda: not (set(names) & set(a.list_topics())), 20, what="deleted topics to disappear")
            with self.assertRaises(UnknownTopicOrPartitionError):
                a.delete_topics(["kp-admin-never-existed"], timeout_ms=20000)
        finally:
            a.close()

    def test_02_producer_futures_offsets(self):
        topic = "kp-futures"
        p = self.producer()
        n = 5000
        try:
            futs = [p.send(topic, key=b"k%d" % (i % 10), value=b"value-%d" % i,
                           headers=[("i", b"%d" % i)]) for i in range(n)]
            p.flush(timeout=60)
            mds = [f.get(timeout=30) for f in futs]
        finally:
            p.close(timeout=10)
        harness.assert_seq([(m.topic, m.partition) for m in mds], [(topic, 0)] * n)
        harness.assert_seq([m.offset for m in mds], list(range(n)), "record-metadata offsets must be dense and ordered")

        c = self.consumer()
        try:
            tp = TopicPartition(topic, 0)
            c.assign([tp])
            self.assertEqual(c.beginning_offsets([tp]), {tp: 0})
            self.assertEqual(c.end_offsets([tp]), {tp: n})

            c.seek_to_beginning(tp)
            recs = self.poll_n(c, n)
            self.assertEqual(len(recs), n, "no records beyond the produced ones")
            for i, r in enumerate(recs):
                self.assertEqual((r.offset, r.key, r.value, r.headers), (i, b"k%d" % (i % 10), b"value-%d" % i,
                                                                        [("i", b"%d" % i)]))
            c.seek(tp, 1234)
            r = self.poll_n(c, 1)[0]
            self.assertEqual((r.offset, r.value), (1234, b"value-1234"))
            c.seek_to_end(tp)
            self.assertEqual(c.position(tp), n)
            self.assertEqual(c.poll(timeout_ms=700), {}, "nothing past the end")
        finally:
            c.close()

        # Continue producing: offsets continue where they were.
        p = self.producer(acks=1)
        try:
            md = p.send(topic, value=b"one-more").get(timeout=30)
            self.assertEqual(md.offset, n)
        finally:
            p.close(timeout=10)

    def test_03_gzip_and_acks0(self):
        topic = "kp-gzip-acks0"
        p = self.producer(compression_type="gzip", linger_ms=20)
        try:
            mds = [f.get(timeout=30) for f in [p.send(topic, value=b"gz-%d" % i) for i in range(1000)]]
        finally:
            p.close(timeout=10)
        harness.assert_seq([m.offset for m in mds], list(range(1000)))
        p = self.producer(acks=0)
        try:
            for i in range(500):
                p.send(topic, value=b"a0-%d" % i)
            p.flush(timeout=30)
        finally:
            p.close(timeout=10)
        # acks=0 gets no response; an acks=1 send afterwards on a new connection sees the offsets move on.
        c = self.consumer()
        try:
            tp = TopicPartition(topic, 0)
            wait_for(lambda: c.end_offsets([tp])[tp] == 1500, 20, what="end offset 1500 after 500 acks=0 sends")
            c.assign([tp])
            c.seek_to_beginning(tp)
            vals = [r.value for r in self.poll_n(c, 1500)]
            harness.assert_seq(vals, [b"gz-%d" % i for i in range(1000)] + [b"a0-%d" % i for i in range(500)])
        finally:
            c.close()

    def test_04_offsets_for_times_and_multi_partition(self):
        a = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap, **COMMON)
        topic = "kp-times"
        try:
            a.create_topics([NewTopic(topic, 3, 1)], timeout_ms=20000)
        finally:
            a.close()
        p = self.producer()
        base = 1_650_000_000_000
        try:
            futs = [p.send(topic, value=b"t%d" % i, partition=i % 3, timestamp_ms=base + i) for i in range(300)]
            mds = [f.get(timeout=30) for f in futs]
        finally:
            p.close(timeout=10)
        for part in range(3):
            harness.assert_seq([m.offset for m in mds if m.partition == part], list(range(100)))
        c = self.consumer()
        try:
            tps = [TopicPartition(topic, i) for i in range(3)]
            wait_for(lambda: c.partitions_for_topic(topic) == {0, 1, 2}, 20, what="3 partitions in metadata")
            self.assertEqual(c.end_offsets(tps), {tp: 100 for tp in tps})
            self.assertEqual(c.beginning_offsets(tps), {tp: 0 for tp in tps})
            c.assign(tps)
            c.seek_to_beginning()
            recs = self.poll_n(c, 300)
            self.assertEqual(len(recs), 300)
            for rec in recs:
                i = int(rec.value[1:])
                self.assertEqual((rec.partition, rec.offset, rec.timestamp), (i % 3, i // 3, base + i))
            # Record i is in partition i%3 at offset i//3 with timestamp base+i. ListOffsets v1 answers the offset
            # AND the timestamp of the first record at/after the target (Kafka returns the record's own timestamp).
            r = c.offsets_for_times({tps[1]: base + 151})
            self.assertEqual((r[tps[1]].offset, r[tps[1]].timestamp), (50, base + 151), "exact timestamp")
            r = c.offsets_for_times({tps[1]: base + 152})  # p1 holds i=1,4,..,151,154: first i >= 152 is 154
            self.assertEqual((r[tps[1]].offset, r[tps[1]].timestamp), (51, base + 154),
                             "ListOffsets must return the found record's timestamp, not the requested one")
            r = c.offsets_for_times({tps[0]: base + 10 ** 9})
            self.assertIsNone(r[tps[0]], "no record at/after the timestamp")
        finally:
            c.close()


if __name__ == "__main__":
    harness.main(timeout=400)
