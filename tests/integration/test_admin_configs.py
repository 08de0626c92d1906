#!/usr/bin/python3
"""Topic configs and the remaining admin APIs through real clients against a real samsad:
confluent-kafka describe_configs / alter_configs (with sources), CreateTopics with configs (and INVALID_CONFIG),
a max.message.bytes override enforced on produce, configs surviving a restart, DeleteRecords via kafka-python's
raw protocol-free path (confluent-kafka 1.7 has no delete_records) checked through the low watermark, and
kafka-python describe_configs."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker  # noqa: E402

from confluent_kafka import KafkaError, KafkaException, Producer, Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic  # noqa: E402


class AdminConfigs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-configs")
        cls.broker.start()
        cls.admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def describe(self, topic):
        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        return self.admin.describe_configs([res])[res].result(timeout=15)

    def test_01_create_with_configs_and_describe_sources(self):
        fs = self.admin.create_topics([NewTopic("cfg-a", 2, 1, config={"retention.ms": "3600000",
                                                                         "cleanup.policy": "compact"})])
        fs["cfg-a"].result(timeout=15)
        cfg = self.describe("cfg-a")
        self.assertEqual(cfg["retention.ms"].value, "3600000")
        self.assertFalse(cfg["retention.ms"].is_default)
        self.assertEqual(cfg["retention.ms"].source, 1)  # DYNAMIC_TOPIC_CONFIG
        self.assertEqual(cfg["cleanup.policy"].value, "compact")
        self.assertEqual(cfg["segment.bytes"].value, "1073741824")
        self.assertTrue(cfg["segment.bytes"].is_default)
        self.assertEqual(cfg["segment.bytes"].source, 5)  # DEFAULT_CONFIG
        self.assertEqual(cfg["max.message.bytes"].value, "1048588")

    def test_02_invalid_config_is_refused(self):
        fs = self.admin.create_topics([NewTopic("cfg-bad", 1, 1, config={"retention.ms": "soon"})])
        with self.assertRaises(KafkaException) as e:
            fs["cfg-bad"].result(timeout=15)
        self.assertEqual(e.exception.args[0].code(), KafkaError.INVALID_CONFIG)
        fs = self.admin.create_topics([NewTopic("cfg-bad2", 1, 1, config={"no.such.key": "1"})])
        with self.assertRaises(KafkaException) as e:
            fs["cfg-bad2"].result(timeout=15)
        self.assertEqual(e.exception.args[0].code(), KafkaError.INVALID_CONFIG)
        self.assertNotIn("cfg-bad", self.admin.list_topics(timeout=10).topics)

    def test_03_alter_configs_applies_at_runtime(self):
        self.admin.create_topics([NewTopic("cfg-b", 1, 1)])["cfg-b"].result(timeout=15)
        res = ConfigResource(ConfigResource.Type.TOPIC, "cfg-b", set_config={"max.message.bytes": "2000"})
        self.admin.alter_configs([res])[res].result(timeout=15)
        self.assertEqual(self.describe("cfg-b")["max.message.bytes"].value, "2000")
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all", "message.max.bytes": 1000000})
        results = []
        # One message per batch: the limit applies to whole batches.
        p.produce("cfg-b", b"x" * 100, on_delivery=lambda e, m: results.append(e))
        self.assertEqual(p.flush(30), 0)
        p.produce("cfg-b", b"y" * 50000, on_delivery=lambda e, m: results.append(e))
        self.assertEqual(p.flush(30), 0)
        self.assertIsNone(results[0])
        self.assertIsNotNone(results[1])
        self.assertEqual(results[1].code(), KafkaError.MSG_SIZE_TOO_LARGE)
        # AlterConfigs replaces the whole set: an empty set restores the default.
        res = ConfigResource(ConfigResource.Type.TOPIC, "cfg-b", set_config={})
        self.admin.alter_configs([res])[res].result(timeout=15)
        self.assertEqual(self.describe("cfg-b")["max.message.bytes"].value, "1048588")

    def test_04_configs_survive_restart(self):
        self.admin.create_topics([NewTopic("cfg-c", 1, 1, config={"retention.bytes": "123456789"})])["cfg-c"].result(
            timeout=15)
        self.broker.restart()
        type(self).admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        self.assertEqual(self.describe("cfg-c")["retention.bytes"].value, "123456789")

    def test_05_broker_configs_are_described(self):
        res = ConfigResource(ConfigResource.Type.BROKER, "1")
        cfg = self.admin.describe_configs([res])[res].result(timeout=15)
        self.assertEqual(cfg["num.partitions"].value, "1")
        self.assertEqual(cfg["message.max.bytes"].value, "1048588")
        self.assertTrue(cfg["message.max.bytes"].is_read_only)

    def test_06_kafka_python_describe_and_delete_records(self):
        from kafka import KafkaAdminClient
        from kafka.admin import ConfigResource as KPConfigResource, ConfigResourceType
        self.admin.create_topics([NewTopic("cfg-d", 1, 1)])["cfg-d"].result(timeout=15)
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all"})
        for i in range(10):
            p.produce("cfg-d", b"m%d" % i)
        self.assertEqual(p.flush(30), 0)
        ka = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap, request_timeout_ms=15000)
        try:
            out = ka.describe_configs([KPConfigResource(ConfigResourceType.TOPIC, "cfg-d")])
            names = {entry[0] for entry in out[0].resources[0][4]}
            self.assertIn("retention.ms", names)
            self.assertIn("cleanup.policy", names)
        finally:
            ka.close()
        # DeleteRecords through librdkafka's raw path is not exposed in confluent-kafka 1.7; use kcat-free raw
        # protocol: kafka-python's admin does not have it either in 2.0.2, so speak it directly.
        import socket
        import struct
        body = struct.pack(">i", 1) + harness.kstring("cfg-d") + struct.pack(">iiqi", 1, 0, 4, 5000)
        frame = struct.pack(">hhi", 21, 1, 77) + harness.kstring("raw") + body
        with socket.create_connection(("127.0.0.1", self.broker.port), timeout=10) as s:
            s.sendall(struct.pack(">i", len(frame)) + frame)
            size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
            resp = s.recv(size, socket.MSG_WAITALL)
        # correlation, throttle, topics[1]: name, partitions[1]: index, low_watermark, error
        corr, throttle, ntopics = struct.unpack(">iii", resp[:12])
        self.assertEqual(corr, 77)
        name_len = struct.unpack(">h", resp[12:14])[0]
        pos = 14 + name_len
        nparts, index, low, err = struct.unpack(">iiqh", resp[pos:pos + 18])
        self.assertEqual((nparts, index, low, err), (1, 0, 4, 0))
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "cfg-d-reader"})
        try:
            self.assertEqual(c.get_watermark_offsets(TopicPartition("cfg-d", 0), timeout=10), (4, 10))
        finally:
            c.close()

    def test_07_create_partitions(self):
        self.admin.create_topics([NewTopic("cfg-e", 1, 1)])["cfg-e"].result(timeout=15)
        self.admin.create_partitions([NewPartitions("cfg-e", 3)])["cfg-e"].result(timeout=15)
        md = self.admin.list_topics("cfg-e", timeout=10)
        self.assertEqual(sorted(md.topics["cfg-e"].partitions), [0, 1, 2])
        # The count must grow.
        with self.assertRaises(KafkaException) as e:
            self.admin.create_partitions([NewPartitions("cfg-e", 2)])["cfg-e"].result(timeout=15)
        self.assertEqual(e.exception.args[0].code(), KafkaError.INVALID_PARTITIONS)
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all"})
        p.produce("cfg-e", b"to-new-partition", partition=2)
        self.assertEqual(p.flush(30), 0)
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "cfg-e-reader"})
        try:
            self.assertEqual(c.get_watermark_offsets(TopicPartition("cfg-e", 2), timeout=10), (0, 1))
        finally:
            c.close()


if __name__ == "__main__":
    harness.main(timeout=300)
