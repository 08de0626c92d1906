#!/usr/bin/env python3
"""samsactl against a real samsad: golden table/JSON outputs, a produce->consume round trip with keys and headers,
group lag/seek/delete, and error paths (missing topic/group, unreachable broker) with exit codes and bounded time.

    test_samsactl.py --samsactl build-cli/src/cli/samsactl --samsad build-cli/src/daemon/samsad
Exit 77 (skip) when samsad is missing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

SAMSACTL = None
BROKER = None


def run(*args, stdin=None, timeout=30, brokers=None):
    cmd = [SAMSACTL, "-b", brokers or BROKER.bootstrap] + list(args)
    t0 = time.monotonic()
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    p.elapsed = time.monotonic() - t0
    p.out = p.stdout.decode()
    p.err = p.stderr.decode()
    return p


def ok(*args, **kw):
    p = run(*args, **kw)
    if p.returncode != 0:
        raise AssertionError("samsactl %s failed (%d):\n%s%s" % (" ".join(args), p.returncode, p.out, p.err))
    return p


class Samsactl(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        ok("topic", "create", "golden", "-p", "3", "-r", "1", "-c", "retention.ms=3600000")
        ok("topic", "create", "rt", "-p", "1", "-r", "1")

    # ---- goldens ---------------------------------------------------------------------------------------------

    def test_topic_list_golden(self):
        self.assertEqual(ok("topic", "list", "^golden$").out, "NAME    PARTITIONS  REPLICAS\ngolden  3           1\n")
        self.assertEqual(json.loads(ok("topic", "list", "^golden$", "--format", "json").out),
                         [{"name": "golden", "partitions": 3, "replication_factor": 1}])

    def test_topic_describe_golden(self):
        self.assertEqual(ok("topic", "describe", "golden").out,
                         "NAME:                golden\n"
                         "PARTITIONS:          3\n"
                         "REPLICATION-FACTOR:  1\n"
                         "\n"
                         "PARTITION  LEADER  REPLICAS  ISR  LOG-START-OFFSET  HIGH-WATERMARK\n"
                         "0          1       1         1    0                 0\n"
                         "1          1       1         1    0                 0\n"
                         "2          1       1         1    0                 0\n"
                         "\n"
                         "CONFIG        VALUE    SOURCE\n"
                         "retention.ms  3600000  DYNAMIC_TOPIC_CONFIG\n")
        j = json.loads(ok("topic", "describe", "golden", "--format", "json").out)
        part = lambda p: {"partition": p, "leader": 1, "replicas": [1], "isr": [1], "log_start_offset": 0,
                          "high_watermark": 0, "error": None}
        self.assertEqual(j, {"name": "golden", "partition_count": 3, "replication_factor": 1,
                             "partitions": [part(0), part(1), part(2)],
                             "configs": [{"name": "retention.ms", "value": "3600000", "source": "DYNAMIC_TOPIC_CONFIG",
                                          "read_only": False, "sensitive": False}]})

    def test_cluster_info(self):
        j = json.loads(ok("cluster", "info", "--format", "json").out)
        self.assertEqual(j["brokers"], [{"id": 1, "host": "127.0.0.1", "port": BROKER.port, "controller": True}])
        self.assertEqual(j["controller_id"], 1)
        t = ok("cluster", "info").out
        self.assertIn("ID  HOST       PORT   CONTROLLER\n1   127.0.0.1  %d  *\n" % BROKER.port, t)

    def test_create_dry_run_alter_add_partitions_delete(self):
        p = ok("topic", "create", "dry", "-p", "2", "--dry-run", "--format", "json")
        self.assertEqual(json.loads(p.out), [{"name": "dry", "created": False, "dry_run": True, "error": None}])
        self.assertEqual(ok("topic", "list", "^dry$", "--format", "json").out.strip(), "[]")
        ok("topic", "create", "tmp-a", "-p", "1")
        ok("topic", "create", "tmp-b", "-p", "1")
        self.assertEqual(ok("topic", "alter-config", "tmp-a", "-c", "retention.ms=1000", "-c", "segment.bytes=1048576").out,
                         "CONFIG         ACTION  VALUE\nretention.ms   SET     1000\nsegment.bytes  SET     1048576\n")
        ok("topic", "alter-config", "tmp-a", "--delete", "segment.bytes")
        cfg = {c["name"]: c["value"] for c in json.loads(ok("topic", "describe", "tmp-a", "--format", "json").out)["configs"]}
        self.assertEqual(cfg, {"retention.ms": "1000"})
        self.assertEqual(json.loads(ok("topic", "add-partitions", "tmp-a", "-p", "4", "--format", "json").out),
                         {"topic": "tmp-a", "partitions": 4, "dry_run": False})
        self.assertEqual(json.loads(ok("topic", "describe", "tmp-a", "--format", "json").out)["partition_count"], 4)
        self.assertEqual(ok("topic", "delete", "--regex", "^tmp-").out, "TOPIC  STATUS\ntmp-a  DELETED\ntmp-b  DELETED\n")
        time.sleep(0.5)
        self.assertEqual(ok("topic", "list", "^tmp-", "--format", "json").out.strip(), "[]")

    # ---- data ------------------------------------------------------------------------------------------------

    def test_round_trip_keys_headers_and_group(self):
        lines = ["k%d:value %d with \"quotes\" and ünïcode" % (i, i) for i in range(5)] + [":empty key", "nokey"]
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        p = ok("topic", "produce", "rt", "--file", f.name, "-k", ":", "-H", "h1=v1", "-H", "trace=a=b",
               "-z", "lz4", "--acks", "all", "--format", "json")
        self.assertEqual(json.loads(p.out), {"topic": "rt", "records": 7, "failed": 0})
        recs = [json.loads(l) for l in ok("topic", "consume", "rt", "-n", "7", "-o", "start").out.splitlines()]
        self.assertEqual(len(recs), 7)
        expect = []
        for l in lines:
            k, sep, v = l.partition(":")
            expect.append((k, v) if sep else (None, l))
        self.assertEqual([(r["key"], r["value"]) for r in recs], expect)
        for i, r in enumerate(recs):
            self.assertEqual(r["offset"], i)
            self.assertEqual(r["headers"], [{"key": "h1", "value": "v1"}, {"key": "trace", "value": "a=b"}])
        # format strings, tail offsets
        self.assertEqual(ok("topic", "consume", "rt", "-o", "-2", "-n", "2", "-f", "%p/%o %k=%v [%h]").out,
                         "0/5 =empty key [h1=v1,trace=a=b]\n0/6 =nokey [h1=v1,trace=a=b]\n")
        self.assertEqual(ok("topic", "consume", "rt", "-o", "3", "-e", "-f", "%o").out, "3\n4\n5\n6\n")
        # group: consume 3, describe lag, seek, delete
        ok("topic", "consume", "rt", "-g", "cli-g", "-n", "3", "-f", "%o")
        self.assertIn("cli-g", [g["group"] for g in json.loads(ok("group", "list", "--format", "json").out)])
        d = ok("group", "describe", "cli-g").out
        self.assertEqual(d, "GROUP:        cli-g\nSTATE:        Empty\nMEMBERS:      0\n\n"
                            "TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID\n"
                            "rt     0          3               7               4    -            -     -\n"
                            "\nTOTAL-LAG:    4\n")
        j = json.loads(ok("group", "describe", "cli-g", "--format", "json").out)
        self.assertEqual(j["partitions"], [{"topic": "rt", "partition": 0, "current_offset": 3, "log_end_offset": 7,
                                            "lag": 4, "consumer_id": None, "host": None, "client_id": None}])
        self.assertEqual(j["total_lag"], 4)
        s = ok("group", "seek", "cli-g", "--topic", "rt", "--to", "offset", "1")
        self.assertEqual(s.out, "TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET\nrt     0          3               1\n")
        self.assertIn("dry run", s.err)
        self.assertEqual(json.loads(ok("group", "describe", "cli-g", "--format", "json").out)["total_lag"], 4)
        ok("group", "seek", "cli-g", "--topic", "rt", "--to", "start", "--execute")
        self.assertEqual(json.loads(ok("group", "describe", "cli-g", "--format", "json").out)["total_lag"], 7)
        self.assertEqual(ok("group", "delete", "cli-g").out, "GROUP  STATUS\ncli-g  DELETED\n")
        p = run("group", "describe", "cli-g")
        self.assertEqual(p.returncode, 3, p.err)

    # ---- errors ----------------------------------------------------------------------------------------------

    def assert_not_found(self, p, name):
        self.assertEqual(p.returncode, 3, p.out + p.err)
        self.assertIn(name, p.err)
        self.assertIn("samsactl", p.err)
        self.assertLess(p.elapsed, 12)

    def test_missing_topic(self):
        for args in (["topic", "describe", "nope"], ["topic", "consume", "nope", "-n", "1"],
                     ["topic", "alter-config", "nope", "-c", "retention.ms=1"], ["topic", "delete", "nope"],
                     ["topic", "add-partitions", "nope", "-p", "3"], ["group", "seek", "g", "--topic", "nope", "--to", "end"]):
            self.assert_not_found(run(*args), "UNKNOWN_TOPIC_OR_PART")
        p = run("topic", "produce", "nope", stdin=b"x\n")
        self.assert_not_found(p, "UNKNOWN_TOPIC_OR_PART")
        j = json.loads(run("topic", "describe", "nope", "--format", "json").out)
        self.assertEqual(j["error"]["kafka_error"], "UNKNOWN_TOPIC_OR_PART")
        self.assertEqual(j["error"]["exit_code"], 3)

    def test_missing_group(self):
        self.assert_not_found(run("group", "describe", "no-such-group"), "GROUP_ID_NOT_FOUND")
        self.assert_not_found(run("group", "delete", "no-such-group"), "GROUP_ID_NOT_FOUND")

    def test_unreachable_broker(self):
        dead = "127.0.0.1:1"
        for args in (["cluster", "info"], ["topic", "list"], ["group", "list"]):
            p = run(*args, "--timeout", "2", brokers=dead)
            self.assertEqual(p.returncode, 4, p.err)
            self.assertIn("no broker at 127.0.0.1:1", p.err)
            self.assertLess(p.elapsed, 5)
        p = run("topic", "describe", "x", brokers=dead)  # default timeout
        self.assertEqual(p.returncode, 4, p.err)
        self.assertLess(p.elapsed, 11)

    def test_usage_errors(self):
        self.assertEqual(run("topic", "frobnicate").returncode, 2)
        self.assertEqual(run("topic", "create", "x", "-c", "novalue").returncode, 2)
        self.assertEqual(run("topic", "consume", "rt", "-o", "banana").returncode, 2)


def main():
    global SAMSACTL, BROKER
    ap = argparse.ArgumentParser()
    ap.add_argument("--samsactl", required=True)
    ap.add_argument("--samsad", default="")
    args, rest = ap.parse_known_args()
    SAMSACTL = args.samsactl
    if args.samsad:
        os.environ["SAMSAD"] = args.samsad
    import harness
    BROKER = harness.Broker(overrides={"auto.create.topics.enable": "false"})
    BROKER.start()
    try:
        r = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    finally:
        BROKER.stop()
    sys.exit(0 if r.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
