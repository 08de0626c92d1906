#!/usr/bin/python3
"""confluent-kafka-python 1.7.0 (system librdkafka 2.0.2) against a real samsad.

Admin create/list/delete, 100k acks=all produce with delivery reports, 900 KB and oversized messages, assign+seek
consumer, watermarks, offsets_for_times, and the idempotent producer (acks=all, 100,000 messages).
"""

import os
import struct
import sys
import time
import unittest
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, wait_for  # noqa: E402

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

N_BIG = 100_000
BROKER_PARTITIONS = 3


def producer(broker, **conf):
    c = {"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5,
         "message.timeout.ms": 60000, "socket.timeout.ms": 20000}
    c.update(conf)
    return Producer(c)


def consumer(broker, **conf):
    # group.id is mandatory in confluent-kafka 1.7; no group API is used (assign() only, no commits).
    c = {"bootstrap.servers": broker.bootstrap, "group.id": "samsa-it-unused", "enable.auto.commit": False,
         "enable.auto.offset.store": False, "enable.partition.eof": True, "socket.timeout.ms": 20000,
         "fetch.wait.max.ms": 100, "log_level": 3}
    c.update(conf)
    return Consumer(c)


def flush_all(p, timeout=120):
    left = p.flush(timeout)
    assert left == 0, "producer flush: %d messages still undelivered after %d s" % (left, timeout)


def read_partition(c, topic, partition, start, count, timeout=60):
    """assign(topic, partition, start) and read until `count` messages or EOF past them -> list of Message."""
    c.assign([TopicPartition(topic, partition, start)])
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                if len(out) >= count:
                    break
                continue
            if m.topic() == topic:
                raise AssertionError("consume error on %s[%s]: %s" % (m.topic(), m.partition(), m.error()))
            harness.log("consumer (non-partition) error ignored: %s" % m.error())
            continue
        out.append(m)
    assert len(out) >= count, "read %d of %d messages from %s[%d] from offset %d within %d s" % (
        len(out), count, topic, partition, start, timeout)
    return out


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _varint(n):
    return harness.uvarint((n << 1) ^ (n >> 63))  # zigzag


def record_batch(keys, timestamp):
    """An uncompressed v2 record batch, one record per key (None = null key), all at `timestamp`."""
    recs = b""
    for i, k in enumerate(keys):
        body = b"\x00" + _varint(0) + _varint(i)
        body += _varint(-1) if k is None else _varint(len(k)) + k
        body += _varint(1) + b"v" + _varint(0)
        recs += _varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(keys) - 1, timestamp, timestamp, -1, -1, -1, len(keys)) + recs
    # partition leader epoch, magic, CRC-32C of everything after it
    batch_wo_len = struct.pack(">ib", -1, 2) + struct.pack(">I", _crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(batch_wo_len)) + batch_wo_len


class ConfluentKafka(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-confluent", overrides={"num.partitions": str(BROKER_PARTITIONS)}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def tearDown(self):
        self.broker.assert_alive("after " + self.id())

    def admin(self):
        return AdminClient({"bootstrap.servers": self.broker.bootstrap, "socket.timeout.ms": 20000})

    # ---- admin -----------------------------------------------------------------------------------------

    def test_01_admin_create_list_delete(self):
        a = self.admin()
        names = ["ck-admin-a", "ck-admin-b"]
        fs = a.create_topics([NewTopic(names[0], 2, 1), NewTopic(names[1], 5, 1)], operation_timeout=20,
                             request_timeout=30)
        for n, f in fs.items():
            self.assertIsNone(f.result(timeout=30), n)
        md = wait_for(lambda: (lambda m: m if all(n in m.topics and len(m.topics[n].partitions) > 0 for n in names)
                               else None)(a.list_topics(timeout=10)), 20, what="created topics in metadata")
        self.assertEqual(sorted(md.topics[names[0]].partitions), [0, 1])
        self.assertEqual(sorted(md.topics[names[1]].partitions), [0, 1, 2, 3, 4])
        for n in names:
            self.assertIsNone(md.topics[n].error, n)
            for p in md.topics[n].partitions.values():
                self.assertEqual(p.leader, 1, "%s[%d] leader" % (n, p.id))
                self.assertEqual(list(p.replicas), [1])
                self.assertEqual(list(p.isrs), [1])
        self.assertEqual(list(md.brokers), [1])
        self.assertEqual(md.controller_id, 1)
        self.assertTrue(md.cluster_id, "cluster_id must be non-empty")

        # Creating an existing topic -> TOPIC_ALREADY_EXISTS.
        f = a.create_topics([NewTopic(names[0], 2, 1)], request_timeout=30)[names[0]]
        with self.assertRaises(KafkaException) as cm:
            f.result(timeout=30)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.TOPIC_ALREADY_EXISTS, str(cm.exception))
        # Replication factor 3 on a single node -> INVALID_REPLICATION_FACTOR.
        f = a.create_topics([NewTopic("ck-admin-rf3", 1, 3)], request_timeout=30)["ck-admin-rf3"]
        with self.assertRaises(KafkaException) as cm:
            f.result(timeout=30)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_REPLICATION_FACTOR, str(cm.exception))
        # Zero partitions -> INVALID_PARTITIONS.
        f = a.create_topics([NewTopic("ck-admin-p0", 0, 1)], request_timeout=30)["ck-admin-p0"]
        with self.assertRaises(KafkaException) as cm:
            f.result(timeout=30)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_PARTITIONS, str(cm.exception))

        # Data written before deletion is gone with the topic; the name is reusable afterwards.
        p = producer(self.broker)
        p.produce(names[0], b"before-delete", partition=1)
        flush_all(p)

        for n, f in a.delete_topics(names, operation_timeout=20, request_timeout=30).items():
            self.assertIsNone(f.result(timeout=30), n)
        wait_for(lambda: all(n not in a.list_topics(timeout=10).topics for n in names), 20,
                 what="deleted topics to disappear from metadata")
        # Deleting an unknown topic -> UNKNOWN_TOPIC_OR_PART.
        f = a.delete_topics(["ck-admin-never-existed"], request_timeout=30)["ck-admin-never-existed"]
        with self.assertRaises(KafkaException) as cm:
            f.result(timeout=30)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART, str(cm.exception))

        # Recreate with a different partition count: fresh, empty log.
        self.assertIsNone(a.create_topics([NewTopic(names[0], 1, 1)], request_timeout=30)[names[0]].result(30))
        c = consumer(self.broker)
        try:
            wait_for(lambda: c.get_watermark_offsets(TopicPartition(names[0], 0), timeout=5) == (0, 0), 20,
                     what="recreated topic to be empty (watermarks 0,0)")
        finally:
            c.close()
        md = a.list_topics(names[0], timeout=10)
        self.assertEqual(sorted(md.topics[names[0]].partitions), [0])

    # ---- produce ---------------------------------------------------------------------------------------

    def test_02_produce_100k_acks_all_dense_offsets(self):
        topic = "ck-100k"
        p = producer(self.broker, **{"queue.buffering.max.messages": 200000})
        acked = defaultdict(list)  # partition -> [(offset, key, value)]
        errors = []

        def dr(err, msg):
            if err is not None:
                errors.append((err, msg.key()))
            else:
                acked[msg.partition()].append((msg.offset(), msg.key(), msg.value()))

        t0 = time.monotonic()
        for i in range(N_BIG):
            key = b"key-%d" % (i % 1000)
            while True:
                try:
                    p.produce(topic, b"value-%d" % i, key, on_delivery=dr)
                    break
                except BufferError:
                    p.poll(0.1)
            if i % 1000 == 0:
                p.poll(0)
        flush_all(p)
        harness.log("100k acks=all in %.1f s" % (time.monotonic() - t0))
        self.assertEqual(errors[:5], [], "%d delivery errors" % len(errors))
        self.assertEqual(sum(len(v) for v in acked.values()), N_BIG)
        self.assertEqual(sorted(acked), list(range(BROKER_PARTITIONS)), "auto-created with num.partitions=3")
        for part, recs in acked.items():
            harness.assert_seq([r[0] for r in recs], list(range(len(recs))),
                             "partition %d: delivery-report offsets must be 0..n-1 in order" % part)

        c = consumer(self.broker)
        try:
            for part, recs in acked.items():
                lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
                self.assertEqual((lo, hi), (0, len(recs)), "watermarks of partition %d" % part)
                msgs = read_partition(c, topic, part, 0, len(recs))
                got = [(m.offset(), m.key(), m.value()) for m in msgs[:len(recs)]]
                self.assertEqual(len(msgs), len(recs), "extra messages past the acknowledged ones")
                if got != recs:
                    bad = next(i for i in range(len(recs)) if got[i] != recs[i])
                    self.fail("partition %d differs at #%d: got %r, acked %r" % (part, bad, got[bad], recs[bad]))
        finally:
            c.close()

    def test_03_large_message_900kb(self):
        topic = "ck-large"
        p = producer(self.broker, **{"message.max.bytes": 2_000_000})
        payload = bytes((i * 7 + 3) % 251 for i in range(900 * 1024))
        res = []
        p.produce(topic, payload, b"big", partition=0, on_delivery=lambda e, m: res.append((e, m.offset())))
        p.produce(topic, b"small-after-big", partition=0, on_delivery=lambda e, m: res.append((e, m.offset())))
        flush_all(p)
        self.assertEqual(res, [(None, 0), (None, 1)])
        c = consumer(self.broker, **{"fetch.message.max.bytes": 1048576, "receive.message.max.bytes": 100_000_000})
        try:
            msgs = read_partition(c, topic, 0, 0, 2)
            self.assertEqual(msgs[0].key(), b"big")
            self.assertEqual(len(msgs[0].value()), len(payload))
            self.assertTrue(msgs[0].value() == payload, "900 KB payload corrupted")
            self.assertEqual((msgs[1].offset(), msgs[1].value()), (1, b"small-after-big"))
        finally:
            c.close()

    def test_04_oversized_message_rejected_by_broker(self):
        topic = "ck-oversized"
        # Producer allows 3 MB so the 2 MB message reaches the broker (max.message.bytes 1048588 by default).
        p = producer(self.broker, **{"message.max.bytes": 3_000_000, "compression.type": "none", "retries": 0})
        res = []
        p.produce(topic, b"ok-before", partition=0, on_delivery=lambda e, m: res.append(("before", e, m.offset())))
        flush_all(p)
        p.produce(topic, os.urandom(2 * 1024 * 1024), partition=0,
                  on_delivery=lambda e, m: res.append(("big", e, m.offset())))
        flush_all(p)
        p.produce(topic, b"ok-after", partition=0, on_delivery=lambda e, m: res.append(("after", e, m.offset())))
        flush_all(p)
        self.assertEqual(res[0], ("before", None, 0))
        self.assertEqual(res[1][0], "big")
        self.assertIsNotNone(res[1][1], "2 MB message must be rejected")
        self.assertEqual(res[1][1].code(), KafkaError.MSG_SIZE_TOO_LARGE, "got %s" % res[1][1])
        self.assertEqual(res[2], ("after", None, 1), "rejected message must not consume an offset")
        c = consumer(self.broker)
        try:
            self.assertEqual(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10), (0, 2))
            self.assertEqual([m.value() for m in read_partition(c, topic, 0, 0, 2)], [b"ok-before", b"ok-after"])
        finally:
            c.close()

    # ---- consume ---------------------------------------------------------------------------------------

    def test_05_consumer_assign_seek_watermarks_offsets_for_times(self):
        topic = "ck-consume"
        p = producer(self.broker)
        base_ts = 1_600_000_000_000
        n = 300
        for i in range(n):
            p.produce(topic, b"v%d" % i, b"k%d" % i, partition=1, timestamp=base_ts + i * 1000,
                      headers=[("idx", b"%d" % i), ("h2", None)])
        flush_all(p)
        c = consumer(self.broker)
        try:
            tp = TopicPartition(topic, 1)
            self.assertEqual(c.get_watermark_offsets(tp, timeout=10), (0, n))
            self.assertEqual(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10), (0, 0))

            msgs = read_partition(c, topic, 1, 0, n)
            harness.assert_seq([m.offset() for m in msgs], list(range(n)))
            for i, m in enumerate(msgs):
                self.assertEqual((m.key(), m.value()), (b"k%d" % i, b"v%d" % i))
                self.assertEqual(m.timestamp(), (1, base_ts + i * 1000), "CreateTime preserved")  # 1 = CREATE_TIME
                self.assertEqual(m.headers(), [("idx", b"%d" % i), ("h2", None)], "headers preserved")

            # seek back within the assigned partition
            c.seek(TopicPartition(topic, 1, 123))
            m = wait_for(lambda: (lambda x: x if x is not None and not x.error() else None)(c.poll(0.5)), 20,
                         what="a message after seek(123)")
            self.assertEqual((m.offset(), m.value()), (123, b"v123"))

            # assign at an explicit offset
            msgs = read_partition(c, topic, 1, 250, 50)
            harness.assert_seq([m.offset() for m in msgs], list(range(250, 300)))

            # offsets_for_times: exact, in between, before everything, after everything
            q = [TopicPartition(topic, 1, base_ts + 50 * 1000), TopicPartition(topic, 1, base_ts + 50 * 1000 + 1)]
            r = c.offsets_for_times(q[:1], timeout=10)
            self.assertEqual((r[0].offset, r[0].error), (50, None))
            r = c.offsets_for_times(q[1:], timeout=10)
            self.assertEqual(r[0].offset, 51)
            r = c.offsets_for_times([TopicPartition(topic, 1, 1)], timeout=10)
            self.assertEqual(r[0].offset, 0)
            r = c.offsets_for_times([TopicPartition(topic, 1, base_ts + 10 ** 9)], timeout=10)
            self.assertEqual(r[0].offset, -1, "no message at/after the timestamp -> -1 (OFFSET_END)")
        finally:
            c.close()

    def test_06_fetch_from_out_of_range_offset_resets(self):
        topic = "ck-oor"
        p = producer(self.broker)
        for i in range(10):
            p.produce(topic, b"r%d" % i, partition=0)
        flush_all(p)
        c = consumer(self.broker, **{"auto.offset.reset": "earliest"})
        try:
            msgs = read_partition(c, topic, 0, 1000, 10)  # beyond HWM -> OFFSET_OUT_OF_RANGE -> reset to earliest
            harness.assert_seq([m.offset() for m in msgs[:10]], list(range(10)))
            self.assertEqual(msgs[0].value(), b"r0")
        finally:
            c.close()

    def test_07_acks_0_and_1(self):
        topic = "ck-acks"
        for acks in ("0", "1"):
            p = producer(self.broker, acks=acks)
            errs = []
            for i in range(1000):
                p.produce(topic, b"acks%s-%d" % (acks.encode(), i), partition=0,
                          on_delivery=lambda e, m: e and errs.append(e))
            flush_all(p)
            self.assertEqual(errs, [], "acks=%s delivery errors" % acks)
        c = consumer(self.broker)
        try:
            wait_for(lambda: c.get_watermark_offsets(TopicPartition(topic, 0), timeout=5) == (0, 2000), 20,
                     what="2000 messages (1000 with acks=0, 1000 with acks=1)")
            vals = [m.value() for m in read_partition(c, topic, 0, 0, 2000)]
            harness.assert_seq(vals[:1000], [b"acks0-%d" % i for i in range(1000)])
            harness.assert_seq(vals[1000:2000], [b"acks1-%d" % i for i in range(1000)])
        finally:
            c.close()

    # ---- idempotence (needs InitProducerId) ------------------------------------------------------------

    def test_08_idempotent_producer(self):
        topic = "ck-idempotent"
        p = producer(self.broker, **{"enable.idempotence": True, "linger.ms": 2})
        acked = defaultdict(list)
        errors = []

        def dr(err, msg):
            (errors.append(err) if err else acked[msg.partition()].append((msg.offset(), msg.value())))

        n = 100_000
        for i in range(n):
            while True:
                try:
                    p.produce(topic, b"idem-%d" % i, b"k%d" % (i % 17), on_delivery=dr)
                    break
                except BufferError:
                    p.poll(0.1)
        flush_all(p)
        self.assertEqual(errors, [])
        self.assertEqual(sum(map(len, acked.values())), n)
        c = consumer(self.broker)
        try:
            for part, recs in acked.items():
                harness.assert_seq([o for o, _ in recs], list(range(len(recs))))
                self.assertEqual(c.get_watermark_offsets(TopicPartition(topic, part), timeout=10), (0, len(recs)))
                msgs = read_partition(c, topic, part, 0, len(recs))
                harness.assert_seq([(m.offset(), m.value()) for m in msgs], recs, "no duplicates, same order")
        finally:
            c.close()


    def test_09_fetch_max_bytes_bounds_the_whole_response(self):
        # KIP-74 (issue 20): the response's max_bytes (fetch.max.bytes) bounds the whole response, the first
        # partition included; only the first record batch may exceed it. librdkafka sizes its receive buffer just
        # above fetch.max.bytes, so a response over it drops the connection and the consumer never progresses.
        topic = "ck-fetch-max-bytes"
        p = producer(self.broker, **{"linger.ms": 0})
        payload = bytes((i * 13 + 5) % 251 for i in range(900 * 1000))
        per_partition = 6
        for part in range(BROKER_PARTITIONS):
            for i in range(per_partition):
                p.produce(topic, payload, b"p%d-%d" % (part, i), partition=part)
            p.poll(0)
        flush_all(p)
        c = consumer(self.broker, **{"fetch.max.bytes": 1_000_000, "max.partition.fetch.bytes": 20_000_000,
                                     "receive.message.max.bytes": 1_000_512, "enable.partition.eof": False})
        try:
            c.assign([TopicPartition(topic, part, 0) for part in range(BROKER_PARTITIONS)])
            got = defaultdict(list)
            deadline = time.monotonic() + 60
            while sum(map(len, got.values())) < BROKER_PARTITIONS * per_partition and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                self.assertIsNone(m.error(), "consume error: %s" % m.error())
                self.assertEqual(m.value(), payload)
                got[m.partition()].append(m.offset())
            for part in range(BROKER_PARTITIONS):
                self.assertEqual(got[part], list(range(per_partition)), "partition %d" % part)
        finally:
            c.close()

    def test_10_compacted_topic_refuses_records_without_key(self):
        # Issue 20 item 1: Kafka refuses a batch with a keyless record on a compacted topic (INVALID_RECORD, the
        # record listed in record_errors from Produce v8); keyed records in other batches are appended.
        topic = "ck-compacted-keys"
        admin = self.admin()
        fs = admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})])
        fs[topic].result(30)
        p = producer(self.broker, **{"linger.ms": 0, "retries": 0})
        results = []

        def dr(err, msg):
            results.append((msg.key(), err.code() if err else None, msg.offset() if not err else None))

        p.produce(topic, b"v1", b"k1", on_delivery=dr)
        flush_all(p)
        p.produce(topic, b"no-key", on_delivery=dr)
        p.flush(60)
        p.produce(topic, b"v2", b"k2", on_delivery=dr)
        flush_all(p)
        self.assertEqual(results[0], (b"k1", None, 0))
        self.assertEqual(results[1][:2], (None, KafkaError.INVALID_RECORD), results)
        self.assertEqual(results[2], (b"k2", None, 1), "the refused record took no offset")
        c = consumer(self.broker)
        try:
            msgs = read_partition(c, topic, 0, 0, 2)
            self.assertEqual([(m.offset(), m.key()) for m in msgs], [(0, b"k1"), (1, b"k2")])
        finally:
            c.close()

    def test_11_produce_v8_lists_refused_records(self):
        # KIP-467 on the wire: Produce v8 answers INVALID_RECORD with the keyless records' batch indexes in
        # record_errors and an error_message; nothing is appended.
        topic = "ck-compacted-raw"
        admin = self.admin()
        admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})])[topic].result(30)
        batch = record_batch([b"a", None, b"c", None], int(time.time() * 1000))
        body = struct.pack(">hhi", -1, 1, 30000)  # transactional_id null, acks 1, timeout
        body += struct.pack(">i", 1) + harness.kstring(topic) + struct.pack(">i", 1)
        body += struct.pack(">ii", 0, len(batch)) + batch
        with harness.connect(self.broker.port) as sock:
            sock.sendall(harness.request(0, 8, 7, body))
            frame = harness.read_frame(sock)
        self.assertIsNotNone(frame)
        pos = 4  # correlation id
        (n_topics,) = struct.unpack_from(">i", frame, pos)
        pos += 4
        self.assertEqual(n_topics, 1)
        (name_len,) = struct.unpack_from(">h", frame, pos)
        pos += 2 + name_len
        (n_parts,) = struct.unpack_from(">i", frame, pos)
        pos += 4
        self.assertEqual(n_parts, 1)
        index, error, base_offset, _, _ = struct.unpack_from(">ihqqq", frame, pos)
        pos += 4 + 2 + 8 + 8 + 8
        self.assertEqual((index, error, base_offset), (0, KafkaError.INVALID_RECORD, -1))
        (n_errors,) = struct.unpack_from(">i", frame, pos)
        pos += 4
        indexes = []
        for _ in range(n_errors):
            (bi, mlen) = struct.unpack_from(">ih", frame, pos)
            pos += 6
            msg = frame[pos:pos + mlen].decode()
            pos += mlen
            indexes.append(bi)
            self.assertIn("without key", msg)
        self.assertEqual(indexes, [1, 3])
        (mlen,) = struct.unpack_from(">h", frame, pos)
        self.assertGreater(mlen, 0, "error_message is set")
        c = consumer(self.broker)
        try:
            self.assertEqual(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10), (0, 0))
        finally:
            c.close()

if __name__ == "__main__":
    harness.main(timeout=400)
