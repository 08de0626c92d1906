#!/usr/bin/python3
"""APIs that none of the client versions installed here send (librdkafka 2.0.2, kafka-python 2.0.2 and kafkajs
2.2.4 have no IncrementalAlterConfigs or DescribeLogDirs call; OffsetForLeaderEpoch is only sent after a leader
epoch change, which needs replication): driven over the raw wire protocol, with the effects cross-checked through
real clients (confluent-kafka's describe_configs, kcat).
"""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KCAT, Broker, connect, kstring, read_frame, request, run  # noqa: E402

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
TOPIC_RESOURCE, BROKER_RESOURCE = 2, 4


class Reader:
    def __init__(self, frame):
        self.f = frame
        self.pos = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.f, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.f[self.pos:self.pos + n].decode()
        self.pos += n
        return s


class RawAdmin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-raw-admin").start()
        cls.admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})
        for f in cls.admin.create_topics([NewTopic("raw-inc", 1, 1), NewTopic("raw-ld", 2, 1)]).values():
            f.result(timeout=20)
        run([KCAT, "-P", "-b", cls.broker.bootstrap, "-t", "raw-ld", "-p", "0"],
            input=b"".join(b"record-%d\n" % i for i in range(10)), timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def call(self, api_key, version, body):
        with connect(self.broker.port) as s:
            s.sendall(request(api_key, version, 4711, body))
            f = read_frame(s)
        self.assertIsNotNone(f, "api %d v%d: connection closed without a response" % (api_key, version))
        r = Reader(f)
        self.assertEqual(r.take(">i"), 4711)
        return r

    # ---- IncrementalAlterConfigs (44) v0 ------------------------------------------------------------------

    def incremental(self, resources, validate_only=False):
        body = struct.pack(">i", len(resources))
        for rtype, name, ops in resources:
            body += struct.pack(">b", rtype) + kstring(name) + struct.pack(">i", len(ops))
            for key, op, value in ops:
                body += kstring(key) + struct.pack(">b", op) + kstring(value)
        body += struct.pack(">b", 1 if validate_only else 0)
        r = self.call(44, 0, body)
        r.take(">i")  # throttle
        out = {}
        for _ in range(r.take(">i")):
            err = r.take(">h")
            msg = r.string()
            r.take(">b")
            out[r.string()] = (err, msg)
        return out

    def topic_configs(self, name):
        res = ConfigResource(ConfigResource.Type.TOPIC, name)
        return self.admin.describe_configs([res])[res].result(timeout=20)

    def test_incremental_alter_configs(self):
        got = self.incremental([(TOPIC_RESOURCE, "raw-inc", [("retention.ms", SET, "3600000"),
                                                             ("cleanup.policy", APPEND, "compact")])])
        self.assertEqual(got["raw-inc"][0], 0, got)
        c = self.topic_configs("raw-inc")
        self.assertEqual(c["retention.ms"].value, "3600000")
        self.assertEqual(sorted(c["cleanup.policy"].value.split(",")), ["compact", "delete"])

        got = self.incremental([(TOPIC_RESOURCE, "raw-inc", [("retention.ms", DELETE, None),
                                                             ("cleanup.policy", SUBTRACT, "delete")])])
        self.assertEqual(got["raw-inc"][0], 0, got)
        c = self.topic_configs("raw-inc")
        self.assertEqual(c["retention.ms"].value, "604800000", "DELETE goes back to the broker default")
        self.assertTrue(c["retention.ms"].is_default)
        self.assertEqual(c["cleanup.policy"].value, "compact")

        # validate_only changes nothing; errors are per resource.
        got = self.incremental([(TOPIC_RESOURCE, "raw-inc", [("retention.ms", SET, "1000")])], validate_only=True)
        self.assertEqual(got["raw-inc"][0], 0, got)
        self.assertEqual(self.topic_configs("raw-inc")["retention.ms"].value, "604800000")
        got = self.incremental([(TOPIC_RESOURCE, "raw-inc", [("retention.ms", SET, "soon")]),
                                (TOPIC_RESOURCE, "raw-missing", [("retention.ms", SET, "1000")]),
                                (BROKER_RESOURCE, "1", [("log.retention.ms", SET, "1000")])])
        self.assertEqual(got["raw-inc"][0], 40, "INVALID_CONFIG for a non-numeric retention.ms: %r" % (got,))
        self.assertEqual(got["raw-missing"][0], 3, "UNKNOWN_TOPIC_OR_PARTITION: %r" % (got,))
        self.assertEqual(got["1"][0], 42, "broker configs are static: INVALID_REQUEST: %r" % (got,))
        self.assertTrue(got["1"][1])

    # ---- DescribeLogDirs (35) v1 ----------------------------------------------------------------------------

    def test_describe_log_dirs(self):
        r = self.call(35, 1, struct.pack(">i", -1))  # null topics: everything
        r.take(">i")
        dirs = {}
        for _ in range(r.take(">i")):
            err = r.take(">h")
            path = r.string()
            topics = {}
            for _ in range(r.take(">i")):
                name = r.string()
                parts = {}
                for _ in range(r.take(">i")):
                    idx, size, lag, future = r.take(">iqqb")
                    parts[idx] = (size, lag, future)
                topics[name] = parts
            dirs[path] = (err, topics)
        data_dir = os.path.realpath(self.broker.data_dir)
        match = [p for p in dirs if os.path.realpath(p) == data_dir]
        self.assertEqual(len(match), 1, "log dirs reported: %r, expected %s" % (list(dirs), data_dir))
        err, topics = dirs[match[0]]
        self.assertEqual(err, 0)
        self.assertIn("raw-ld", topics)
        self.assertEqual(sorted(topics["raw-ld"]), [0, 1])
        self.assertGreater(topics["raw-ld"][0][0], 0, "partition 0 holds 10 records")
        self.assertEqual(topics["raw-ld"][1][0], 0, "partition 1 is empty")
        self.assertEqual(topics["raw-ld"][0][1:], (0, 0), "no lag, not a future replica")

    # ---- OffsetForLeaderEpoch (23) v2 -------------------------------------------------------------------------

    def test_offset_for_leader_epoch(self):
        body = struct.pack(">i", 2)
        body += kstring("raw-ld") + struct.pack(">i", 2) + struct.pack(">iii", 0, -1, 0) + struct.pack(">iii", 1, -1, 0)
        body += kstring("raw-nope") + struct.pack(">i", 1) + struct.pack(">iii", 0, -1, 0)
        r = self.call(23, 2, body)
        r.take(">i")
        got = {}
        for _ in range(r.take(">i")):
            topic = r.string()
            for _ in range(r.take(">i")):
                err, part, epoch, end = r.take(">hiiq")
                got[(topic, part)] = (err, epoch, end)
        self.assertEqual(got[("raw-ld", 0)], (0, 0, 10), "epoch 0 ends at the log end offset: %r" % (got,))
        # An empty log led at epoch 0: the leader's current epoch starts at its log end (Kafka assigns the epoch's
        # start offset when a replica becomes leader), so epoch 0 ends at 0.
        self.assertEqual(got[("raw-ld", 1)], (0, 0, 0), got)
        self.assertEqual(got[("raw-nope", 0)][0], 3, got)


if __name__ == "__main__":
    harness.main(timeout=300)
