#!/usr/bin/python3
"""Crash safety: acks=all producers keep writing while samsad is killed with SIGKILL and restarted on the same
data dir and port. Every acknowledged message must be at its acknowledged offset afterwards, offsets stay dense,
and nothing acknowledged before the crash is overwritten (no offset reuse). Then a clean SIGTERM restart changes nothing.
"""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402

TOPICS = {"restart-plain": "none", "restart-lz4": "lz4"}  # topic -> producer compression
PHASE_MSGS = 20_000  # acknowledged messages per topic before the kill, and again after the restart


class Tracker:
    def __init__(self):
        self.phase = "before"
        self.acked = {t: {} for t in TOPICS}  # topic -> {offset: (value, phase)}
        self.dup_offsets = []
        self.errors = []
        self.count = {t: {"before": 0, "down": 0, "after": 0} for t in TOPICS}

    def cb(self, err, msg):
        if err is not None:
            self.errors.append((msg.topic(), err))
            return
        t = msg.topic()
        if msg.offset() in self.acked[t]:
            self.dup_offsets.append((t, msg.offset(), self.acked[t][msg.offset()][0], msg.value()))
        self.acked[t][msg.offset()] = (msg.value(), self.phase)
        self.count[t][self.phase] += 1


def read_all(bootstrap, topic, timeout=90):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "samsa-it-unused", "enable.auto.commit": False,
                  "enable.partition.eof": True, "fetch.wait.max.ms": 100, "log_level": 3})
    try:
        tp = TopicPartition(topic, 0)
        lo, hi = c.get_watermark_offsets(tp, timeout=10)
        c.assign([TopicPartition(topic, 0, 0)])
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < hi and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                continue
            if m.error():
                if m.topic() == topic:
                    raise AssertionError("consume error %s" % m.error())
                continue
            out.append((m.offset(), m.value()))
        assert len(out) >= hi, "read %d of %d messages of %s" % (len(out), hi, topic)
        return lo, hi, out
    finally:
        c.close()


class Restart(unittest.TestCase):
    def test_kill9_mid_produce_then_restart(self):
        b = Broker(name="samsad-restart", overrides={"num.partitions": "1"})
        b.start()
        tr = Tracker()
        producers = {t: Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "compression.type": codec,
                                  "linger.ms": 2, "message.timeout.ms": 120000, "socket.timeout.ms": 10000,
                                  "retry.backoff.ms": 100, "reconnect.backoff.ms": 100,
                                  "reconnect.backoff.max.ms": 500, "queue.buffering.max.messages": 50000,
                                  "log_level": 2})
                     for t, codec in TOPICS.items()}
        seq = 0
        produced = {t: [] for t in TOPICS}

        def produce_some(n):
            nonlocal seq
            for _ in range(n):
                for t, p in producers.items():
                    v = b"%s-%08d" % (t.encode(), seq)
                    try:
                        p.produce(t, v, on_delivery=tr.cb)
                        produced[t].append(v)
                    except BufferError:
                        p.poll(0.05)
                seq += 1
            for p in producers.values():
                p.poll(0)

        def acked_in(phase):
            return min(tr.count[t][phase] for t in TOPICS)

        deadline = time.monotonic() + 90
        while acked_in("before") < PHASE_MSGS:
            self.assertLess(time.monotonic(), deadline, "phase 1: only %d acks in 90 s; errors %s"
                            % (acked_in("before"), tr.errors[:3]))
            produce_some(200)
            time.sleep(0.001)

        # Crash while messages are in flight: the kill comes from another thread while this one keeps producing.
        def killer():
            time.sleep(0.05)
            b.kill9()
            tr.phase = "down"

        kt = threading.Thread(target=killer)
        kt.start()
        while kt.is_alive():
            produce_some(50)
        kt.join()
        harness.log("killed broker; acked before the kill %s" % {t: c["before"] for t, c in tr.count.items()})
        t_down = time.monotonic()
        while time.monotonic() - t_down < 1.0:
            produce_some(100)
            time.sleep(0.01)
        tr.phase = "after"  # acks from here on are answered by the restarted broker
        b.start()

        deadline = time.monotonic() + 120
        while acked_in("after") < PHASE_MSGS:
            self.assertLess(time.monotonic(), deadline, "after restart: only %d acks in 120 s; errors %s"
                            % (acked_in("after"), tr.errors[:3]))
            produce_some(200)
            time.sleep(0.001)
        for t, p in producers.items():
            left = p.flush(150)
            self.assertEqual(left, 0, "%s: %d messages never delivered" % (t, left))
        harness.log("acks per phase: %s" % tr.count)
        self.assertEqual(tr.errors[:5], [], "%d delivery errors" % len(tr.errors))
        self.assertEqual(tr.dup_offsets[:5], [], "the broker acknowledged two different messages at one offset")

        self.verify(b, tr, produced)

        # A second crash with no traffic, then a clean SIGTERM restart: nothing changes.
        b.kill9()
        b.start()
        snapshot = {t: read_all(b.bootstrap, t) for t in TOPICS}
        rc = b.stop()
        self.assertEqual(rc, 0, "samsad should exit 0 on SIGTERM, got %s" % rc)
        b.start()
        for t in TOPICS:
            again = read_all(b.bootstrap, t)
            self.assertEqual(again[:2], snapshot[t][:2], "%s: watermarks changed across a clean restart" % t)
            harness.assert_seq(again[2], snapshot[t][2], "%s: log content after clean restart" % t)
        # New writes continue at the end.
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all"})
        res = []
        for t in TOPICS:
            p.produce(t, b"final", on_delivery=lambda e, m: res.append((m.topic(), e, m.offset())))
        self.assertEqual(p.flush(30), 0)
        self.assertEqual(sorted(res), sorted((t, None, snapshot[t][1]) for t in TOPICS))
        b.stop()

    def verify(self, b, tr, produced):
        for t in TOPICS:
            lo, hi, log_ = read_all(b.bootstrap, t)
            self.assertEqual(lo, 0, t)
            harness.assert_seq([o for o, _ in log_], range(hi), "%s: offsets must be dense 0..HWM-1" % t)
            values = [v for _, v in log_]
            # Every acknowledged message is at its acknowledged offset.
            wrong = [(o, v, values[o] if o < len(values) else None) for o, (v, _) in sorted(tr.acked[t].items())
                     if o >= len(values) or values[o] != v]
            self.assertEqual(wrong[:5], [], "%s: %d acknowledged messages missing or overwritten "
                                            "(offset, acked value, value in log)" % (t, len(wrong)))
            # No offset reuse: writes after the restart land above everything acknowledged before the crash.
            before = [o for o, (_, ph) in tr.acked[t].items() if ph == "before"]
            after = [o for o, (_, ph) in tr.acked[t].items() if ph == "after"]
            self.assertTrue(before and after)
            # Messages acknowledged after the restart but produced before the crash may carry retried offsets
            # only above the recovered end; so every post-restart ack is above every pre-crash ack.
            self.assertLess(max(before), min(after), "%s: post-restart offsets reuse pre-crash offsets" % t)
            # At-least-once: every produced message is in the log (duplicates from retries are allowed).
            missing = set(produced[t]) - set(values)
            self.assertEqual(len(missing), 0, "%s: %d produced messages missing, e.g. %s"
                             % (t, len(missing), sorted(missing)[:3]))
            harness.log("%s: HWM %d, %d produced, %d duplicates from retries"
                        % (t, hi, len(produced[t]), len(values) - len(set(values))))


if __name__ == "__main__":
    harness.main(timeout=420)
