#!/usr/bin/python3
"""kcat (librdkafka 2.0.2) against a real samsad: metadata, 100k produce/consume, keyed partitioning, offsets, codecs."""

import json
import os
import sys
import time
import unittest
import zlib
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KCAT, Broker, run  # noqa: E402

N_BIG = 100_000


def kcat(broker, *args, input=None, timeout=120, check=True):
    return run([KCAT, "-b", broker.bootstrap, "-X", "socket.timeout.ms=20000", *args],
               input=input, timeout=timeout, check=check)


def produce(broker, topic, data, *extra, timeout=180):
    """kcat -P from stdin (one message per line). Fails on any delivery error kcat reports."""
    p = kcat(broker, "-P", "-t", topic, "-X", "message.timeout.ms=60000", *extra, input=data, timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    assert "Delivery failed" not in err and "ERROR" not in err, "kcat -P reported errors:\n" + err[-3000:]
    return p


def consume(broker, topic, *extra, fmt="%k %s %o\n", timeout=180):
    """kcat -C -e (exit at end of every partition) -> list of output lines."""
    p = kcat(broker, "-C", "-q", "-e", "-t", topic, "-f", fmt, *extra, timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    assert "ERROR" not in err, "kcat -C reported errors:\n" + err[-3000:]
    out = p.stdout.decode("utf-8")
    return out.splitlines()


def metadata(broker, topic=None):
    args = ["-L", "-J"] + (["-t", topic] if topic else [])
    p = kcat(broker, *args, timeout=60)
    return json.loads(p.stdout)


class KcatSinglePartition(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-kcat1", overrides={"num.partitions": "1"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def tearDown(self):
        self.broker.assert_alive("after " + self.id())

    def test_01_metadata_lists_broker_and_topic(self):
        topic = "kcat-meta"
        produce(self.broker, topic, b"hello\n")
        md = metadata(self.broker)
        brokers = md["brokers"]
        self.assertEqual(len(brokers), 1, md)
        self.assertEqual(brokers[0]["id"], 1, md)
        self.assertEqual(brokers[0]["name"], self.broker.bootstrap, "advertised host:port must be the listener")
        self.assertEqual(md.get("controllerid"), 1, "controller_id must be a live node id: %s" % md)
        topics = {t["topic"]: t for t in md["topics"]}
        self.assertIn(topic, topics, md)
        t = topics[topic]
        self.assertNotIn("error", t, t)
        self.assertEqual([p["partition"] for p in t["partitions"]], [0], t)
        self.assertEqual(t["partitions"][0]["leader"], 1, t)
        # A single-topic query answers for that topic only.
        md1 = metadata(self.broker, topic)
        self.assertEqual([x["topic"] for x in md1["topics"]], [topic], md1)

    def test_02_100k_keyed_roundtrip_in_order_dense_offsets(self):
        topic = "kcat-100k"
        lines = ["k%d:value-%d-%s" % (i % 97, i, "x" * (i % 13)) for i in range(N_BIG)]
        t0 = time.monotonic()
        produce(self.broker, topic, ("\n".join(lines) + "\n").encode(), "-K:")
        t1 = time.monotonic()
        out = consume(self.broker, topic, "-o", "beginning", "-p", "0")
        t2 = time.monotonic()
        harness.log("produced %d in %.1f s, consumed in %.1f s" % (N_BIG, t1 - t0, t2 - t1))
        self.assertEqual(len(out), N_BIG, "consumed %d of %d messages" % (len(out), N_BIG))
        for i, line in enumerate(out):
            k, v = lines[i].split(":", 1)
            expect = "%s %s %d" % (k, v, i)
            if line != expect:
                self.fail("message #%d: got %r, expected %r" % (i, line, expect))
        # ListOffsets agrees: log start 0, end N.
        self.assertEqual(consume(self.broker, topic, "-o", "end", "-p", "0"), [])

    def test_03_offset_selectors(self):
        topic = "kcat-offsets"
        n = 1000
        produce(self.broker, topic, "".join("m%d\n" % i for i in range(n)).encode())
        # absolute offset
        out = consume(self.broker, topic, "-p", "0", "-o", "500", "-c", "10", fmt="%s %o\n")
        self.assertEqual(out, ["m%d %d" % (i, i) for i in range(500, 510)])
        # absolute offset up to the end
        out = consume(self.broker, topic, "-p", "0", "-o", "990", fmt="%s %o\n")
        self.assertEqual(out, ["m%d %d" % (i, i) for i in range(990, n)])
        # relative from the end
        out = consume(self.broker, topic, "-p", "0", "-o", "-7", fmt="%s %o\n")
        self.assertEqual(out, ["m%d %d" % (i, i) for i in range(n - 7, n)])
        # beginning / end
        out = consume(self.broker, topic, "-p", "0", "-o", "beginning", "-c", "3", fmt="%s %o\n")
        self.assertEqual(out, ["m0 0", "m1 1", "m2 2"])
        self.assertEqual(consume(self.broker, topic, "-p", "0", "-o", "end", fmt="%s %o\n"), [])

    def test_04_offset_by_timestamp(self):
        topic = "kcat-ts"
        produce(self.broker, topic, "".join("a%d\n" % i for i in range(100)).encode())
        time.sleep(0.05)
        ts_mid = int(time.time() * 1000)
        time.sleep(0.05)
        produce(self.broker, topic, "".join("b%d\n" % i for i in range(100)).encode())
        time.sleep(0.05)
        ts_after = int(time.time() * 1000)

        out = consume(self.broker, topic, "-p", "0", "-o", "beginning", fmt="%s %o %T\n")
        self.assertEqual(len(out), 200)
        stamps = [int(x.split()[2]) for x in out]
        self.assertTrue(all(s < ts_mid for s in stamps[:100]), "first batch timestamps must precede %d: %s"
                        % (ts_mid, stamps[:100][-3:]))
        self.assertTrue(all(ts_mid <= s < ts_after for s in stamps[100:]), "second batch CreateTime not preserved")
        out = consume(self.broker, topic, "-p", "0", "-o", "s@%d" % ts_mid, fmt="%s %o\n")
        harness.assert_seq(out, ["b%d %d" % (i, 100 + i) for i in range(100)], "s@%d must start at offset 100" % ts_mid)
        # Exact timestamp of a message: the first offset whose timestamp is >= it (several may share one ms).
        for probe in (150, 199):
            first = next(j for j in range(200) if stamps[j] >= stamps[probe])
            out = consume(self.broker, topic, "-p", "0", "-o", "s@%d" % stamps[probe], "-c", "1", fmt="%s %o\n")
            self.assertEqual(out, ["b%d %d" % (first - 100, first)], "s@<timestamp of offset %d>" % probe)
        out = consume(self.broker, topic, "-p", "0", "-o", "s@0", "-c", "1", fmt="%s %o\n")
        self.assertEqual(out, ["a0 0"], "s@0 -> first offset")
        out = consume(self.broker, topic, "-p", "0", "-o", "s@%d" % (ts_after + 3_600_000), fmt="%s %o\n")
        self.assertEqual(out, [], "timestamp after every message -> end of log, nothing consumed")

    def test_05_compression_codecs_roundtrip(self):
        for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
            with self.subTest(codec=codec):
                topic = "kcat-codec-" + codec
                lines = ["%s-%d:%s" % (codec, i, ("payload %d " % i) * (1 + i % 20)) for i in range(5000)]
                produce(self.broker, topic, ("\n".join(lines) + "\n").encode(), "-K:", "-z", codec,
                        "-X", "linger.ms=50")
                out = consume(self.broker, topic, "-p", "0", "-o", "beginning")
                self.assertEqual(len(out), len(lines), "%s: consumed %d of %d" % (codec, len(out), len(lines)))
                for i, line in enumerate(out):
                    k, v = lines[i].split(":", 1)
                    self.assertEqual(line, "%s %s %d" % (k, v, i), "%s: message #%d" % (codec, i))

    def test_06_empty_and_binaryish_values(self):
        topic = "kcat-edge"
        # Empty value with a key, a value containing spaces/colons, UTF-8.
        produce(self.broker, topic, "k1:\nk2:a b:c\nk3:\u00e9\u00e8\u4e2d\n".encode(), "-K:")
        out = consume(self.broker, topic, "-p", "0", "-o", "beginning", fmt="%k|%s|%o|%S\n")
        self.assertEqual(out, ["k1||0|0", "k2|a b:c|1|5", "k3|\u00e9\u00e8\u4e2d|2|7"])


class KcatThreePartitions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-kcat3", overrides={"num.partitions": "3"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def tearDown(self):
        self.broker.assert_alive("after " + self.id())

    def test_keyed_messages_land_in_stable_partition(self):
        topic = "kcat-keyed3"
        nkeys = 50
        lines = ["key-%d:v%d" % (i % nkeys, i) for i in range(30_000)]
        produce(self.broker, topic, ("\n".join(lines) + "\n").encode(), "-K:")
        md = metadata(self.broker, topic)
        parts = sorted(p["partition"] for p in md["topics"][0]["partitions"])
        self.assertEqual(parts, [0, 1, 2], "auto-created topic must have num.partitions=3: %s" % md)

        out = consume(self.broker, topic, "-o", "beginning", fmt="%k %s %p %o\n")
        self.assertEqual(len(out), len(lines))
        key_parts = defaultdict(set)
        per_part = defaultdict(list)
        for line in out:
            k, v, p, o = line.split(" ")
            key_parts[k].add(int(p))
            per_part[int(p)].append((int(o), k, v))
        for k, ps in key_parts.items():
            self.assertEqual(len(ps), 1, "key %s found in partitions %s" % (k, ps))
            # librdkafka's default partitioner (consistent_random) = crc32(key) % partition_count
            self.assertEqual(ps, {zlib.crc32(k.encode()) % 3}, "key %s not in the partition the client chose" % k)
        self.assertEqual(sorted(per_part), [0, 1, 2], "all three partitions should carry data")
        for p, recs in per_part.items():
            harness.assert_seq([r[0] for r in recs], list(range(len(recs))), "partition %d offsets not dense" % p)
            expected = [tuple(x.split(":", 1)) for x in lines if zlib.crc32(x.split(":", 1)[0].encode()) % 3 == p]
            harness.assert_seq([(r[1], r[2]) for r in recs], expected, "partition %d content/order differs" % p)


if __name__ == "__main__":
    harness.main(timeout=400)
