#!/usr/bin/env python3
"""samsactl against a real samsad: golden table/JSON/YAML outputs, a produce->consume round trip with keys and
headers, group lag/seek/delete, cluster health/quorum/config, topic trim, the profile file, shell completion, the
produce progress bar, error paths (missing topic/group, unreachable broker) with exit codes and bounded time, and
docs/quickstart.md run command by command against a fresh broker.

    test_samsactl.py --samsactl build-cli/src/cli/samsactl --samsad build-cli/src/daemon/samsad
Exit 77 (skip) when samsad is missing.
"""
import argparse
import json
import os
import pty
import re
import shlex
import signal
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


def run_env(*args, env=None, stdin=None, timeout=30):
    """samsactl without -b, under exactly the given environment additions (SAMSA_BROKERS/SAMSACTL_CONFIG removed)."""
    e = {k: v for k, v in os.environ.items() if k not in ("SAMSA_BROKERS", "SAMSACTL_CONFIG", "XDG_CONFIG_HOME")}
    e.update(env or {})
    p = subprocess.run([SAMSACTL] + list(args), input=stdin, capture_output=True, timeout=timeout, env=e)
    p.out = p.stdout.decode()
    p.err = p.stderr.decode()
    return p


def broker_supports(api_key):
    import harness
    err, apis = harness.api_versions(BROKER.port)
    return err == 0 and api_key in apis


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

    # ---- cluster health / quorum / config ----------------------------------------------------------------

    def test_cluster_health(self):
        p = ok("cluster", "health")
        self.assertTrue(p.out.startswith("HEALTHY:                      yes\nCONTROLLER:                   1\n"
                                         "BROKERS:                      1\nDOWN-BROKERS:                 -\n"), p.out)
        self.assertIn("LEADERLESS-PARTITIONS:        0\nUNDER-REPLICATED-PARTITIONS:  0\n", p.out)
        j = json.loads(ok("cluster", "health", "--format", "json").out)
        self.assertEqual({k: j[k] for k in ("healthy", "controller_id", "brokers", "down_brokers",
                                            "leaderless_partitions", "under_replicated_partitions", "problems",
                                            "reasons")},
                         {"healthy": True, "controller_id": 1, "brokers": [1], "down_brokers": [],
                          "leaderless_partitions": 0, "under_replicated_partitions": 0, "problems": [], "reasons": []})
        self.assertGreaterEqual(j["partitions"], 4)  # golden (3) + rt (1), and whatever else exists
        # --watch: one JSON line per round; --exit-when-healthy stops at the first healthy one
        p = ok("cluster", "health", "--watch", "0.2", "--exit-when-healthy", "--format", "json", timeout=15)
        self.assertEqual(len(p.out.splitlines()), 1)
        self.assertTrue(json.loads(p.out)["healthy"])
        w = subprocess.Popen([SAMSACTL, "-b", BROKER.bootstrap, "cluster", "health", "-w", "0.2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2)
        w.send_signal(signal.SIGINT)
        out, err = w.communicate(timeout=10)
        self.assertEqual(w.returncode, 0, err)
        self.assertGreaterEqual(out.decode().count("HEALTHY:"), 3)
        self.assertNotIn("\x1b[", out.decode())  # no screen clearing when stdout is not a terminal
        self.assertEqual(run("cluster", "health", "-w", "soon").returncode, 2)
        p = run("cluster", "health", "--timeout", "2", brokers="127.0.0.1:1")
        self.assertEqual(p.returncode, 4, p.err)

    def test_cluster_quorum_unsupported(self):
        if broker_supports(55):
            self.skipTest("samsad advertises DescribeQuorum (key 55); test_cluster_quorum covers it")
        p = run("cluster", "quorum")
        self.assertEqual(p.returncode, 1, p.out + p.err)
        self.assertIn("broker does not support DescribeQuorum", p.err)
        self.assertLess(p.elapsed, 12)
        j = json.loads(run("cluster", "quorum", "--format", "json").out)
        self.assertEqual(j["error"]["kafka_error"], "UNSUPPORTED_VERSION")
        self.assertEqual(j["error"]["exit_code"], 1)

    def test_cluster_quorum(self):
        if not broker_supports(55):
            self.skipTest("samsad does not advertise DescribeQuorum (API key 55) in ApiVersions yet; "
                          "runs automatically once it does")
        j = json.loads(ok("cluster", "quorum", "--format", "json").out)
        self.assertEqual(j["leader_id"], 1)
        self.assertGreaterEqual(j["leader_epoch"], 0)
        self.assertGreaterEqual(j["high_watermark"], 0)
        self.assertEqual([(v["id"], v["status"], v["lag"]) for v in j["voters"]], [(1, "Leader", 0)])
        self.assertGreaterEqual(j["voters"][0]["log_end_offset"], 0)
        self.assertEqual(j["observers"], [])
        t = ok("cluster", "quorum").out
        self.assertTrue(t.startswith("LEADER-ID:       1\nLEADER-EPOCH:    %d\nHIGH-WATERMARK:  %d\nVOTERS:          1\n\n"
                                     % (j["leader_epoch"], j["high_watermark"])), t)
        self.assertIn("NODE  STATUS  LOG-END-OFFSET  LAG  LAST-FETCH", t)

    def test_cluster_quorum_unreachable(self):
        p = run("cluster", "quorum", "--timeout", "2", brokers="127.0.0.1:1")
        self.assertEqual(p.returncode, 4, p.err)
        self.assertIn("no broker at 127.0.0.1:1", p.err)
        self.assertLess(p.elapsed, 5)

    def test_cluster_elect_leaders(self):
        # One broker: every partition is led by its only (preferred) replica.
        p = ok("cluster", "elect-leaders")
        self.assertEqual(p.out, "No election needed: every partition is led by its preferred replica.\n")
        j = json.loads(ok("cluster", "elect-leaders", "--topic", "golden", "--format", "json").out)
        self.assertEqual((j["election_type"], j["elected"], j["not_needed"], j["failed"]), ("preferred", 0, 3, 0))
        self.assertEqual([(r["topic"], r["partition"], r["elected"], r["error"]) for r in j["results"]],
                         [("golden", i, False, "ELECTION_NOT_NEEDED") for i in range(3)])
        t = ok("cluster", "elect-leaders", "--type", "unclean", "-t", "golden", "-p", "1").out.splitlines()
        self.assertEqual(t[0].split(), ["TOPIC", "PARTITION", "RESULT", "DETAIL"])
        self.assertEqual(t[1].split()[:3], ["golden", "1", "ELECTION_NOT_NEEDED"])
        bad = run("cluster", "elect-leaders", "-t", "golden", "-p", "7")
        self.assertEqual(bad.returncode, 3, bad.out + bad.err)
        self.assertIn("UNKNOWN_TOPIC_OR_PART", bad.out)
        self.assertIn("1 partition(s) could not get the preferred leader", bad.err)
        self.assertEqual(run("cluster", "elect-leaders", "-t", "no-such-topic").returncode, 3)
        self.assertEqual(run("cluster", "elect-leaders", "-p", "0").returncode, 2, "--partition needs --topic")
        self.assertEqual(run("cluster", "elect-leaders", "--type", "dirty").returncode, 2)

    def test_cluster_config(self):
        j = json.loads(ok("cluster", "config", "get", "num.partitions", "--format", "json").out)
        self.assertEqual(j["broker"], 1)
        self.assertEqual([(c["name"], c["value"]) for c in j["configs"]], [("num.partitions", "1")])
        t = ok("cluster", "config", "get", "num.partitions", "auto.create.topics.enable").out.splitlines()
        self.assertEqual(t[0].split(), ["CONFIG", "VALUE", "SOURCE"])
        self.assertEqual([l.split()[:2] for l in t[1:]], [["num.partitions", "1"], ["auto.create.topics.enable", "false"]])
        allc = json.loads(ok("cluster", "config", "get", "--format", "json").out)["configs"]
        names = [c["name"] for c in allc]
        self.assertEqual(names, sorted(names))
        self.assertIn("num.partitions", names)
        p = run("cluster", "config", "get", "no.such.key")
        self.assertEqual(p.returncode, 3, p.err)
        self.assertIn("has no config 'no.such.key'", p.err)
        self.assertEqual(run("cluster", "config", "get", "--broker", "7").returncode, 3)
        # samsad's broker configs are static: the change is refused with the Kafka error and what to do instead
        p = run("cluster", "config", "set", "num.partitions=3")
        if p.returncode == 0:  # a broker that accepts dynamic broker configs
            self.assertEqual(json.loads(ok("cluster", "config", "get", "num.partitions", "--format", "json").out)
                             ["configs"][0]["value"], "3")
            ok("cluster", "config", "set", "--delete", "num.partitions")
        else:
            self.assertEqual(p.returncode, 1, p.err)
            self.assertIn("INVALID_REQUEST", p.err)
            self.assertIn("config file", p.err)
            j = json.loads(run("cluster", "config", "set", "num.partitions=3", "--format", "json").out)
            self.assertEqual(j["error"]["kafka_error"], "INVALID_REQUEST")
        self.assertEqual(run("cluster", "config", "set").returncode, 2)
        self.assertEqual(run("cluster", "config", "set", "novalue").returncode, 2)

    # ---- trim ------------------------------------------------------------------------------------------------

    def test_topic_trim(self):
        ok("topic", "create", "trim", "-p", "2")
        ok("topic", "produce", "trim", "-p", "0", stdin=b"".join(b"r%d\n" % i for i in range(10)))
        ok("topic", "produce", "trim", "-p", "1", stdin=b"a\nb\nc\nd\ne\n")
        p = ok("topic", "trim", "trim", "-o", "4", "--dry-run")
        self.assertEqual(p.out, "TOPIC  PARTITION  LOG-START-OFFSET  NEW-LOG-START-OFFSET  HIGH-WATERMARK  DELETED\n"
                                "trim   0          0                 4                     10              4\n"
                                "trim   1          0                 4                     5               4\n")
        self.assertIn("dry run", p.err)
        lso = lambda: [q["log_start_offset"] for q in
                       json.loads(ok("topic", "describe", "trim", "--format", "json").out)["partitions"]]
        self.assertEqual(lso(), [0, 0])
        p = ok("topic", "trim", "trim", "-o", "4", "-p", "0")
        self.assertEqual(p.out, "TOPIC  PARTITION  OLD-LOG-START-OFFSET  LOG-START-OFFSET  HIGH-WATERMARK  DELETED\n"
                                "trim   0          0                     4                 10              4\n")
        self.assertEqual(lso(), [4, 0])
        self.assertEqual(ok("topic", "consume", "trim", "-p", "0", "-e", "-f", "%o").out.split(),
                         ["4", "5", "6", "7", "8", "9"])
        # an offset below the log start changes nothing
        j = json.loads(ok("topic", "trim", "trim", "-o", "2", "-p", "0", "--format", "json").out)
        self.assertEqual(j["partitions"][0]["log_start_offset"], 4)
        self.assertEqual(j["partitions"][0]["deleted_records"], 0)
        j = json.loads(ok("topic", "trim", "trim", "-o", "end", "--format", "json").out)
        self.assertEqual(j, {"topic": "trim", "dry_run": False, "partitions": [
            {"partition": 0, "previous_log_start_offset": 4, "log_start_offset": 10, "high_watermark": 10,
             "deleted_records": 6, "error": None},
            {"partition": 1, "previous_log_start_offset": 0, "log_start_offset": 5, "high_watermark": 5,
             "deleted_records": 5, "error": None}]})
        self.assertEqual(lso(), [10, 5])
        p = run("topic", "trim", "trim", "-o", "11", "-p", "0")
        self.assertEqual(p.returncode, 1, p.err)
        self.assertIn("OFFSET_OUT_OF_RANGE", p.err)
        self.assertEqual(run("topic", "trim", "trim", "-o", "1", "-p", "5").returncode, 3)
        self.assertEqual(run("topic", "trim", "trim", "-o", "x").returncode, 2)
        self.assertEqual(run("topic", "trim", "trim").returncode, 2)

    # ---- produce progress ----------------------------------------------------------------------------------

    def test_produce_progress_only_on_a_terminal(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("".join("line %d\n" % i for i in range(2000)))
        ok("topic", "create", "progress", "-p", "1")
        p = ok("topic", "produce", "progress", "--file", f.name)
        self.assertEqual(p.err, "TOPIC     RECORDS  FAILED\nprogress  2000     0\n")  # no bar, no \r
        self.assertEqual(p.out, "")
        # stderr on a terminal: a bar with the rate, ending at 100%
        master, slave = pty.openpty()
        q = subprocess.run([SAMSACTL, "-b", BROKER.bootstrap, "topic", "produce", "progress", "--file", f.name],
                           stdout=subprocess.PIPE, stderr=slave, timeout=30)
        os.close(slave)
        tty = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            tty += chunk
        os.close(master)
        self.assertEqual(q.returncode, 0)
        self.assertIn(b"\r[", tty)
        self.assertIn(b"rec/s", tty)
        self.assertIn(b"100%", tty)
        self.assertIn(b"2000 records", tty)

    # ---- yaml ----------------------------------------------------------------------------------------------

    def test_yaml_matches_json(self):
        import yaml
        for args in (["topic", "list", "^golden$"], ["topic", "describe", "golden"], ["cluster", "info"],
                     ["cluster", "health"], ["group", "list"], ["cluster", "config", "get", "num.partitions"]):
            j = json.loads(ok(*args, "--format", "json").out)
            y = yaml.safe_load(ok(*args, "--format", "yaml").out)
            if args[:2] == ["cluster", "health"]:
                j.pop("partitions"), y.pop("partitions")
            self.assertEqual(y, j, args)
        self.assertEqual(ok("topic", "list", "^golden$", "--format", "yaml").out,
                         "- name: golden\n  partitions: 3\n  replication_factor: 1\n")
        y = yaml.safe_load(run("topic", "describe", "nope", "--format", "yaml").out)
        self.assertEqual(y["error"]["kafka_error"], "UNKNOWN_TOPIC_OR_PART")
        self.assertEqual(y["error"]["exit_code"], 3)
        docs = list(yaml.safe_load_all(ok("topic", "consume", "rt", "-n", "2", "--format", "yaml").out))
        self.assertEqual([(d["offset"], d["key"]) for d in docs], [(0, "k0"), (1, "k1")])

    # ---- profile -------------------------------------------------------------------------------------------

    def test_profile_and_precedence(self):
        d = tempfile.mkdtemp()
        prof = os.path.join(d, "samsactl.toml")
        with open(prof, "w") as f:
            f.write('# test profile\nbrokers = "%s"\ntimeout = 2\n\n[properties]\nclient.id = "from-profile"\n'
                    % BROKER.bootstrap)
        dead = "127.0.0.1:1"
        golden = "NAME    PARTITIONS  REPLICAS\ngolden  3           1\n"
        # profile only
        self.assertEqual(run_env("topic", "list", "^golden$", env={"SAMSACTL_CONFIG": prof}).out, golden)
        # env beats profile
        p = run_env("topic", "list", env={"SAMSACTL_CONFIG": prof, "SAMSA_BROKERS": dead})
        self.assertEqual(p.returncode, 4, p.err)
        self.assertIn("no broker at 127.0.0.1:1 answered within 2.00 s", p.err)  # profile timeout applies
        # flag beats env
        p = run_env("-b", BROKER.bootstrap, "topic", "list", "^golden$", env={"SAMSACTL_CONFIG": prof, "SAMSA_BROKERS": dead})
        self.assertEqual(p.out, golden, p.err)
        # --timeout beats the profile's
        p = run_env("topic", "list", "--timeout", "1", env={"SAMSACTL_CONFIG": prof, "SAMSA_BROKERS": dead})
        self.assertIn("within 1.00 s", p.err)
        # the default location: $XDG_CONFIG_HOME/samsa/samsactl.toml, else ~/.config/samsa/samsactl.toml
        home = os.path.join(d, "home")
        os.makedirs(os.path.join(home, ".config", "samsa"))
        with open(os.path.join(home, ".config", "samsa", "samsactl.toml"), "w") as f:
            f.write('brokers = "%s"\nformat = "json"\n' % BROKER.bootstrap)
        p = run_env("topic", "list", "^golden$", env={"HOME": home})
        self.assertEqual(json.loads(p.out), [{"name": "golden", "partitions": 3, "replication_factor": 1}], p.err)
        self.assertEqual(run_env("topic", "list", "^golden$", "--format", "table", env={"HOME": home}).out, golden)
        # no profile: the default broker address
        p = run_env("topic", "list", "--timeout", "1", env={"HOME": os.path.join(d, "empty")})
        self.assertIn("no broker at 127.0.0.1:9092", p.err)
        # errors name the file and line; a named but missing file is an error; unknown keys warn
        bad = os.path.join(d, "bad.toml")
        with open(bad, "w") as f:
            f.write('brokers = "x"\nbrokers2 = [1, 2]\n')
        p = run_env("topic", "list", env={"SAMSACTL_CONFIG": bad})
        self.assertEqual(p.returncode, 2)
        self.assertIn(bad + ":2: arrays and inline tables are not supported", p.err)
        p = run_env("topic", "list", env={"SAMSACTL_CONFIG": os.path.join(d, "missing.toml")})
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot read the profile", p.err)
        with open(bad, "w") as f:
            f.write('brokers = "%s"\ncolour = "red"\n[properties]\nno.such.property = "1"\n' % BROKER.bootstrap)
        p = run_env("topic", "list", env={"SAMSACTL_CONFIG": bad})
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown key 'colour'", p.err)
        self.assertIn(bad + ": invalid client property no.such.property=1", p.err)

    # ---- completion ----------------------------------------------------------------------------------------

    def complete(self, words, env=None):
        script = subprocess.run([SAMSACTL, "completion", "bash"], capture_output=True, check=True).stdout.decode()
        with tempfile.NamedTemporaryFile("w", suffix=".bash", delete=False) as f:
            f.write(script)
        arr = " ".join(shlex.quote(w) for w in words)
        cmd = ("set -e; source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _samsactl; printf '%%s\\n' \"${COMPREPLY[@]}\""
               % (shlex.quote(f.name), arr, len(words) - 1))
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=30, env=e)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stderr.decode(), "")
        return p.stdout.decode().split()

    def test_completion(self):
        top = self.complete(["samsactl", ""])
        for w in ("cluster", "topic", "group", "completion", "--brokers", "--format"):
            self.assertIn(w, top)
        self.assertEqual(self.complete(["samsactl", "topic", "tr"]), ["trim"])
        self.assertEqual(sorted(self.complete(["samsactl", "cluster", "config", ""])[:2]), ["get", "set"])
        self.assertIn("--exit-when-healthy", self.complete(["samsactl", "-b", "x:1", "cluster", "health", "--"]))
        self.assertEqual(self.complete(["samsactl", "topic", "list", "--format", ""]), ["table", "json", "yaml"])
        self.assertEqual(self.complete(["samsactl", "completion", "b"]), ["bash"])
        # topic names come from the cluster (samsactl on PATH, brokers from the environment)
        env = {"PATH": os.path.dirname(os.path.abspath(SAMSACTL)) + ":" + os.environ["PATH"],
               "SAMSA_BROKERS": BROKER.bootstrap}
        self.assertIn("golden", self.complete(["samsactl", "topic", "describe", "gol"], env=env))
        zsh = ok("completion", "zsh").out
        self.assertTrue(zsh.startswith("#compdef samsactl\n"))
        self.assertIn("compdef _samsactl samsactl", zsh)
        self.assertIn("'trim:Delete the records before an offset", zsh)
        if subprocess.run(["which", "zsh"], capture_output=True).returncode == 0:
            self.assertEqual(subprocess.run(["zsh", "-n", "-c", zsh]).returncode, 0)
        self.assertEqual(run("completion", "fish").returncode, 2)

    # ---- errors ----------------------------------------------------------------------------------------------

    def assert_not_found(self, p, name):
        self.assertEqual(p.returncode, 3, p.out + p.err)
        self.assertIn(name, p.err)
        self.assertIn("samsactl", p.err)
        self.assertLess(p.elapsed, 12)

    def test_missing_topic(self):
        for args in (["topic", "describe", "nope"], ["topic", "consume", "nope", "-n", "1"],
                     ["topic", "alter-config", "nope", "-c", "retention.ms=1"], ["topic", "delete", "nope"],
                     ["topic", "add-partitions", "nope", "-p", "3"], ["group", "seek", "g", "--topic", "nope", "--to", "end"],
                     ["topic", "trim", "nope", "-o", "1"]):
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
        for args in (["cluster", "info"], ["topic", "list"], ["group", "list"], ["cluster", "health"],
                     ["cluster", "config", "get"], ["topic", "trim", "x", "-o", "1"]):
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


QUICKSTART = os.path.join(HERE, "..", "..", "docs", "quickstart.md")


def quickstart_steps(path=QUICKSTART):
    """(command, expected output) for every `$ ` line in the ```sh blocks of docs/quickstart.md that runs samsactl."""
    steps, in_block, cur = [], False, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("```"):
                in_block = line.strip() == "```sh"
                cur = None
                continue
            if not in_block:
                continue
            if line.startswith("$ "):
                cmd = line[2:]
                cur = None
                if re.search(r"(^|\|\s*)samsactl\s", cmd):
                    cur = [cmd, []]
                    steps.append(cur)
            elif cur is not None:
                cur[1].append(line)
    return [(c, "\n".join(out) + "\n" if out else "") for c, out in steps]


class QuickstartTour(unittest.TestCase):
    """docs/quickstart.md, command by command, against a fresh broker: exit 0 and the output shown."""
    maxDiff = None

    def test_quickstart(self):
        import harness
        steps = quickstart_steps()
        self.assertGreaterEqual(len(steps), 12)
        home = tempfile.mkdtemp()
        with harness.Broker() as b:
            env = {k: v for k, v in os.environ.items() if k not in ("SAMSACTL_CONFIG", "XDG_CONFIG_HOME")}
            env.update({"PATH": os.path.dirname(os.path.abspath(SAMSACTL)) + ":" + os.environ["PATH"],
                        "SAMSA_BROKERS": b.bootstrap, "HOME": home})
            for cmd, expected in steps:
                p = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], capture_output=True, timeout=60,
                                   env=env, cwd=home)
                got = p.stdout.decode() + p.stderr.decode()
                self.assertEqual(p.returncode, 0, "%s\n%s" % (cmd, got))
                if "topic consume" in cmd:  # partitions are read in parallel: compare the lines as a set
                    self.assertEqual(sorted(got.splitlines()), sorted(expected.splitlines()), cmd)
                else:
                    self.assertEqual(got, expected, cmd)


class ClusterHealthMultiNode(unittest.TestCase):
    """cluster health against a real 3-node cluster: unhealthy (exit 5, leaderless partitions, the dead broker
    named) while a node is down, healthy again once it is back."""

    def test_health_follows_a_dead_broker(self):
        import harness
        n = 3
        client = [harness.free_port() for _ in range(n)]
        ctrl = [harness.free_port() for _ in range(n)]
        voters = ",".join("%d@127.0.0.1:%d" % (i + 1, ctrl[i]) for i in range(n))
        nodes = []
        for i in range(n):
            b = harness.Broker(name="health-node%d" % (i + 1), port=client[i], overrides={
                "node.id": str(i + 1), "controller.quorum.voters": voters,
                "broker.heartbeat.interval.ms": "200", "broker.session.timeout.ms": "2000"})
            b.overrides["listeners"] = "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (client[i], ctrl[i])
            nodes.append(b.start(wait=False))
        for b in nodes:
            b.wait_ready(timeout=30)
        all_brokers = ",".join(b.bootstrap for b in nodes)
        ok("topic", "create", "spread", "-p", "6", "-r", "1", brokers=all_brokers)
        harness.wait_for(lambda: run("cluster", "health", brokers=all_brokers).returncode == 0, 15,
                         what="a healthy cluster")
        controller = json.loads(ok("cluster", "info", "--format", "json", brokers=all_brokers).out)
        victim_id = next(i for i in (3, 2) if i != controller.get("controller_id", controller.get("controller")))
        victim = nodes[victim_id - 1]
        live = ",".join(b.bootstrap for b in nodes if b is not victim)
        victim.kill9()

        def unhealthy():
            p = run("cluster", "health", "--format", "json", brokers=live)
            return p if p.returncode == 5 else None
        p = harness.wait_for(unhealthy, 20, interval=0.3, what="cluster health to report the dead broker")
        j = json.loads(p.out)
        self.assertFalse(j["healthy"])
        self.assertIn(victim_id, j["down_brokers"])
        self.assertGreaterEqual(j["leaderless_partitions"], 1, j)
        table = run("cluster", "health", brokers=live)
        self.assertEqual(table.returncode, 5)
        self.assertIn("HEALTHY:                      no", table.out)

        victim.start(timeout=30)
        p = run("cluster", "health", "--watch", "0.3", "--exit-when-healthy", "--format", "json",
                brokers=all_brokers, timeout=40)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertTrue(json.loads(p.out.splitlines()[-1])["healthy"])
        for b in nodes:
            b.stop()


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
