#!/usr/bin/python3
"""Malformed and hostile input on raw sockets against a real samsad.

After every case the broker must still be running and a fresh client (raw ApiVersions, and kcat -L) must work.
"""

import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KCAT, Broker, api_versions, api_versions_request, connect, expect_closed, read_frame, \
    parse_api_versions, request, run  # noqa: E402

UNSUPPORTED_VERSION = 35


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-bad-input").start()
        err, cls.apis = api_versions(cls.broker.port, 0)
        assert err == 0, "ApiVersions v0 error %d" % err

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def tearDown(self):
        self.assert_serving("after " + self.id())

    def assert_serving(self, what):
        self.broker.assert_alive(what)
        for v in (0, 3):
            err, apis = api_versions(self.broker.port, v)
            self.assertEqual(err, 0, "%s: ApiVersions v%d error" % (what, v))
            self.assertIn(18, apis, "%s: ApiVersions v%d lists key 18" % (what, v))
        p = run([KCAT, "-L", "-b", self.broker.bootstrap, "-m", "10", "-X", "socket.timeout.ms=10000"],
                timeout=30, check=False)
        self.assertEqual(p.returncode, 0, "%s: kcat -L failed: %s" % (what, p.stderr.decode()[-2000:]))
        self.assertIn(b"1 brokers:", p.stdout, p.stdout[-500:])

    def test_api_versions_all_versions(self):
        for v in (0, 1, 2, 3):
            err, apis = api_versions(self.broker.port, v)
            self.assertEqual(err, 0, "v%d" % v)
            lo, hi = apis[18]
            self.assertEqual(lo, 0, "ApiVersions min must be 0")
            self.assertGreaterEqual(hi, 3, "ApiVersions max must be >= 3")
            # Feature gates of librdkafka 2.0.2 (COMPAT.md §2, §17.1)
            self.assertTrue(apis[0][0] <= 3 <= apis[0][1] and apis[0][0] <= 7 <= apis[0][1], "Produce 3 and 7: %s" % (apis[0],))
            self.assertTrue(apis[1][0] <= 4 <= apis[1][1] and apis[1][0] <= 10 <= apis[1][1], "Fetch 4 and 10: %s" % (apis[1],))
            self.assertTrue(apis[2][0] <= 1 <= apis[2][1], "ListOffsets 1: %s" % (apis[2],))
            self.assertTrue(apis[3][0] == 0, "Metadata min 0 (kafka-python sends v0): %s" % (apis[3],))

    def test_api_versions_v9_unsupported_version_v0_layout(self):
        with connect(self.broker.port) as s:
            body = harness.compact_string("samsa-it") + harness.compact_string("1.0") + b"\x00"
            s.sendall(request(18, 9, 777, body, flexible=True))
            f = read_frame(s)
            self.assertIsNotNone(f, "no reply to ApiVersions v9 (connection closed)")
            corr, err, apis = parse_api_versions(f, 0)  # v0 layout, response header v0
            self.assertEqual(corr, 777)
            self.assertEqual(err, UNSUPPORTED_VERSION)
            self.assertIn(18, apis, "UNSUPPORTED_VERSION reply must list key 18: %r" % f[:80])
            self.assertEqual(apis[18][0], 0)
            self.assertGreaterEqual(apis[18][1], 3)
            # The connection stays usable: retry at the advertised max.
            s.sendall(api_versions_request(778, apis[18][1]))
            f = read_frame(s)
            self.assertIsNotNone(f, "connection closed after UNSUPPORTED_VERSION reply")
            corr, err, _ = parse_api_versions(f, apis[18][1])
            self.assertEqual((corr, err), (778, 0))

    def test_oversized_frame_2gb(self):
        with connect(self.broker.port) as s:
            s.sendall(struct.pack(">i", 0x7FFFFFF0) + b"\x00\x12\x00\x00" + b"\x00" * 100)
            expect_closed(s)

    def test_negative_length(self):
        for size in (-1, -5, -0x80000000):
            with connect(self.broker.port) as s:
                s.sendall(struct.pack(">i", size) + b"\x00\x12\x00\x00\x00\x00\x00\x01")
                expect_closed(s)

    def test_zero_and_tiny_length(self):
        for payload in (struct.pack(">i", 0), struct.pack(">i", 3) + b"\x00\x12\x00"):
            with connect(self.broker.port) as s:
                s.sendall(payload)
                expect_closed(s)

    def test_truncated_frame_then_close(self):
        for _ in range(20):
            with connect(self.broker.port) as s:
                frame = api_versions_request(1, 0)
                s.sendall(frame[: len(frame) // 2])
        with connect(self.broker.port) as s:
            s.sendall(struct.pack(">i", 1000) + b"\x00\x03\x00\x01")
            s.shutdown(socket.SHUT_WR)
            expect_closed(s)

    def test_garbage_api_key(self):
        for key in (12345, -7, 32767):
            with connect(self.broker.port) as s:
                s.sendall(request(key, 0, 1, b"\xde\xad\xbe\xef"))
                expect_closed(s)

    def test_unsupported_version_non_api_versions(self):
        for key, ver in ((3, 999), (0, 200), (1, 100), (3, -1)):
            with connect(self.broker.port) as s:
                s.sendall(request(key, ver, 5, b"\x00" * 16))
                expect_closed(s)

    def test_random_garbage(self):
        import random
        rnd = random.Random(1234)
        for _ in range(50):
            with connect(self.broker.port) as s:
                n = rnd.randint(10, 400)
                body = bytes(rnd.getrandbits(8) for _ in range(n))
                # plausible header (Metadata v1..v8) followed by random bytes: broker may answer or close
                msg = struct.pack(">hhi", 3, rnd.randint(1, 8), 9) + body
                s.sendall(struct.pack(">i", len(msg)) + msg)
                s.settimeout(5)
                try:
                    while s.recv(65536):
                        pass
                except socket.timeout:
                    pass  # an answer and an open connection is fine too
                except OSError:
                    pass
        self.broker.assert_alive("random garbage")

    def test_pipelined_100k_api_versions_in_order(self):
        n = 100_000
        s = connect(self.broker.port, timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        errors = []

        def sender():
            try:
                chunk = []
                for i in range(n):
                    chunk.append(api_versions_request(i, 0 if i % 2 else 3))
                    if len(chunk) == 1000:
                        s.sendall(b"".join(chunk))
                        chunk = []
                if chunk:
                    s.sendall(b"".join(chunk))
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=sender, daemon=True)
        t0 = time.monotonic()
        t.start()
        try:
            for i in range(n):
                f = read_frame(s)
                if f is None:
                    self.fail("connection closed after %d of %d pipelined responses" % (i, n))
                corr, err, apis = parse_api_versions(f, 0 if i % 2 else 3)
                if corr != i or err != 0 or 18 not in apis:
                    self.fail("response #%d: correlation %d (want %d), error %d, keys %s" % (i, corr, i, err,
                                                                                          sorted(apis)[:5]))
        except socket.timeout:
            self.fail("timed out waiting for response #%d of %d" % (i, n))
        finally:
            s.close()
        t.join(10)
        self.assertEqual(errors, [])
        harness.log("100k pipelined ApiVersions answered in order in %.1f s" % (time.monotonic() - t0))

    def test_slow_loris_does_not_block_others(self):
        slow = connect(self.broker.port, timeout=30)
        frame = api_versions_request(4321, 0)
        slow.sendall(frame[:2])  # half a size prefix
        other = []
        try:
            # Other clients are served promptly while the slow one dribbles.
            for _ in range(5):
                t0 = time.monotonic()
                err, _ = api_versions(self.broker.port, 0, timeout=5)
                self.assertEqual(err, 0)
                other.append(time.monotonic() - t0)
            p = run([KCAT, "-L", "-b", self.broker.bootstrap, "-X", "socket.timeout.ms=5000"], timeout=15)
            self.assertIn(b"1 brokers:", p.stdout)
            # Many idle half-open connections at once do not stall the broker either.
            idle = [connect(self.broker.port) for _ in range(50)]
            for c in idle:
                c.sendall(b"\x00\x00")
            self.assertEqual(api_versions(self.broker.port, 3, timeout=5)[0], 0)
            for c in idle:
                c.close()
            # Finish the slow frame one byte at a time; it is still answered correctly.
            for b in frame[2:]:
                slow.sendall(bytes([b]))
                time.sleep(0.01)
            f = read_frame(slow)
            self.assertIsNotNone(f, "slow client closed instead of answered")
            corr, err, apis = parse_api_versions(f, 0)
            self.assertEqual((corr, err), (4321, 0))
        finally:
            slow.close()
        self.assertLess(max(other), 2.0, "ApiVersions latency while a slow client is connected: %s" % other)

    def test_many_connections_closed_abruptly(self):
        for i in range(200):
            s = connect(self.broker.port)
            s.sendall(api_versions_request(i, 3))
            # RST instead of FIN, sometimes before the response arrives
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        self.broker.assert_alive("abrupt closes")



def fetch_v4(corr, topic, partition, offset, max_wait_ms, min_bytes=1, isolation=1):
    body = struct.pack(">iiiib", -1, max_wait_ms, min_bytes, 50 << 20, isolation)
    body += struct.pack(">i", 1) + harness.kstring(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", partition, offset, 1 << 20)
    return request(1, 4, corr, body)


def parse_fetch_v4(frame):
    """-> (corr, [(topic, partition, error, hwm, lso, records_len)])"""
    corr, _throttle, ntopics = struct.unpack_from(">iii", frame, 0)
    pos = 12
    out = []
    for _ in range(ntopics):
        (tl,) = struct.unpack_from(">h", frame, pos)
        topic = frame[pos + 2:pos + 2 + tl].decode()
        pos += 2 + tl
        (nparts,) = struct.unpack_from(">i", frame, pos)
        pos += 4
        for _ in range(nparts):
            part, err, hwm, lso, naborted = struct.unpack_from(">ihqqi", frame, pos)
            pos += 26 + max(naborted, 0) * 16
            (rlen,) = struct.unpack_from(">i", frame, pos)
            pos += 4 + max(rlen, 0)
            out.append((topic, part, err, hwm, lso, rlen))
    return corr, out


class FetchLongPoll(unittest.TestCase):
    """Raw Fetch v4 (what kafka-python sends): long-poll holds until data or max_wait_ms, errors come promptly."""

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-fetch").start()

    def setUp(self):
        # A fresh topic per test holding exactly one record (offset 0, HWM 1).
        self.topic = "raw-fetch-" + self._testMethodName
        run([KCAT, "-P", "-b", self.broker.bootstrap, "-t", self.topic, "-p", "0"], input=b"first\n", timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def fetch(self, offset, max_wait_ms, topic=None, timeout=15):
        with connect(self.broker.port, timeout=timeout) as s:
            t0 = time.monotonic()
            s.sendall(fetch_v4(99, topic or self.topic, 0, offset, max_wait_ms))
            f = read_frame(s)
            dt = time.monotonic() - t0
        self.assertIsNotNone(f, "Fetch v4: connection closed without a response")
        corr, parts = parse_fetch_v4(f)
        self.assertEqual(corr, 99)
        self.assertEqual(len(parts), 1, parts)
        return dt, parts[0]

    def test_fetch_with_data_returns_at_once(self):
        dt, (_, _, err, hwm, lso, rlen) = self.fetch(0, 5000)
        self.assertEqual((err, hwm, lso), (0, 1, 1))
        self.assertGreater(rlen, 0)
        self.assertLess(dt, 1.0, "data available: must not wait for max_wait_ms")

    def test_fetch_at_hwm_waits_for_max_wait(self):
        dt, (_, _, err, hwm, lso, rlen) = self.fetch(1, 800)
        self.assertEqual((err, hwm, lso), (0, 1, 1))
        self.assertLessEqual(rlen, 0, "no data at the HWM")
        self.assertGreaterEqual(dt, 0.6, "empty Fetch answered after %.3f s; long-poll must hold ~max_wait_ms (800)"
                                % dt)
        self.assertLess(dt, 3.0, "empty Fetch held %.3f s, far beyond max_wait_ms=800" % dt)

    def test_fetch_at_hwm_wakes_up_on_produce(self):
        result = {}

        def waiter():
            result["r"] = self.fetch(1, 10000, timeout=20)

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.5)
        run([KCAT, "-P", "-b", self.broker.bootstrap, "-t", self.topic, "-p", "0"], input=b"second\n", timeout=30)
        t.join(20)
        self.assertFalse(t.is_alive(), "long-poll Fetch not answered")
        dt, (_, _, err, hwm, lso, rlen) = result["r"]
        self.assertEqual((err, hwm), (0, 2))
        self.assertGreater(rlen, 0, "woken Fetch must carry the new record")
        self.assertLess(dt, 5.0, "Fetch(max_wait 10 s) took %.2f s: not woken by the produce" % dt)

    def test_client_vanishing_during_zero_copy_fetch(self):
        """Clients that reset the connection while megabytes of fetched records are being sendfile()d to them cost
        an EPIPE/ECONNRESET on that connection, never the broker (sendfile(2) has no MSG_NOSIGNAL: SIGPIPE must be
        ignored)."""
        topic = "raw-fetch-vanish"
        payload = b"".join(b"%06d" % i + b"x" * 100_000 + b"\n" for i in range(40))
        run([KCAT, "-P", "-b", self.broker.bootstrap, "-t", topic, "-p", "0", "-X", "message.max.bytes=200000"],
            input=payload, timeout=60)
        for round_ in range(10):
            s = connect(self.broker.port)
            # 30 pipelined 1 MiB fetches: far more than the socket buffers hold, then a reset (SO_LINGER 0).
            s.sendall(b"".join(fetch_v4(1000 + i, topic, 0, 0, 100) for i in range(30)))
            time.sleep(0.05)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            time.sleep(0.05)
            self.broker.assert_alive("after client reset %d during a large fetch" % round_)
        dt, (_, _, err, hwm, _, rlen) = self.fetch(0, 100, topic=topic)
        self.assertEqual(err, 0)
        self.assertGreater(rlen, 0)

    def test_fetch_errors_are_prompt(self):
        dt, (_, _, err, _, _, _) = self.fetch(1000, 5000)
        self.assertEqual(err, 1, "fetch_offset above the HWM -> OFFSET_OUT_OF_RANGE(1)")
        self.assertLess(dt, 2.0, "error partitions must not wait for max_wait_ms")
        dt, (_, _, err, _, _, _) = self.fetch(0, 5000, topic="raw-fetch-no-such-topic")
        self.assertEqual(err, 3, "unknown topic -> UNKNOWN_TOPIC_OR_PARTITION(3)")
        self.assertLess(dt, 2.0)

if __name__ == "__main__":
    harness.main(timeout=300)
