#!/usr/bin/python3
"""Group APIs on the raw wire with bad input: absurd session timeouts, unknown protocol types, an oversized
metadata blob, heartbeats from unknown members, MEMBER_ID_REQUIRED only for JoinGroup v4+. Each gets its Kafka
error on a connection that stays usable, and the group that exists meanwhile is not disturbed."""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, kstring  # noqa: E402


def kbytes(b):
    return struct.pack(">i", len(b)) + b


def join_body(version, group, session, member="", ptype="consumer", protocols=(("range", b"\x00\x01"),),
              instance=None):
    body = kstring(group) + struct.pack(">i", session)
    if version >= 1:
        body += struct.pack(">i", 30000)
    body += kstring(member)
    if version >= 5:
        body += kstring(instance)
    body += kstring(ptype) + struct.pack(">i", len(protocols))
    for name, md in protocols:
        body += kstring(name) + kbytes(md)
    return body


def read_string(buf, pos):
    (n,) = struct.unpack_from(">h", buf, pos)
    pos += 2
    if n < 0:
        return None, pos
    return buf[pos:pos + n].decode(), pos + n


class Conn:
    def __init__(self, port):
        self.s = harness.connect(port)
        self.corr = 0

    def call(self, key, version, body):
        self.corr += 1
        self.s.sendall(harness.request(key, version, self.corr, body))
        f = harness.read_frame(self.s)
        assert f is not None, "connection closed after api %d v%d" % (key, version)
        (corr,) = struct.unpack_from(">i", f, 0)
        assert corr == self.corr
        return f[4:]

    def join(self, version, *a, **kw):
        r = self.call(11, version, join_body(version, *a, **kw))
        pos = 4 if version >= 2 else 0  # throttle_time_ms
        err, gen = struct.unpack_from(">hi", r, pos)
        pos += 6
        proto, pos = read_string(r, pos)
        leader, pos = read_string(r, pos)
        member, pos = read_string(r, pos)
        return err, gen, leader, member

    def heartbeat(self, group, gen, member):
        r = self.call(12, 0, kstring(group) + struct.pack(">i", gen) + kstring(member))
        return struct.unpack_from(">h", r, 0)[0]


class GroupsBadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(name="samsad-groups-bad", overrides={"group.initial.rebalance.delay.ms": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def test_bad_group_requests(self):
        c = Conn(self.broker.port)
        # FindCoordinator v0 (librdkafka's feature gate) answers with this broker.
        r = c.call(10, 0, kstring("g"))
        err, node = struct.unpack_from(">hi", r, 0)
        self.assertEqual((err, node), (0, 1))
        # A real member first.
        err, gen, leader, member = c.join(1, "g", 10000)
        self.assertEqual(err, 0)
        self.assertEqual(leader, member)
        self.assertEqual(c.heartbeat("g", gen, member), 0)

        for session in (0, 1, 5999, 1800001, 2**31 - 1, -5):
            self.assertEqual(c.join(1, "g", session)[0], 26, "session timeout %d" % session)  # INVALID_SESSION_TIMEOUT
        self.assertEqual(c.join(1, "g", 10000, ptype="bogus")[0], 23)  # INCONSISTENT_GROUP_PROTOCOL
        self.assertEqual(c.join(1, "g", 10000, protocols=(("nobody-has-this", b""),))[0], 23)
        self.assertEqual(c.join(1, "fresh", 10000, ptype="")[0], 23)
        self.assertEqual(c.join(1, "fresh", 10000, protocols=())[0], 23)
        self.assertEqual(c.join(1, "g", 10000, protocols=(("range", b"\x41" * (2 << 20)),))[0], 42)  # INVALID_REQUEST
        self.assertEqual(c.join(1, "", 10000)[0], 24)  # INVALID_GROUP_ID
        self.assertEqual(c.join(1, "g", 10000, member="not-a-member")[0], 25)  # UNKNOWN_MEMBER_ID
        self.assertEqual(c.heartbeat("g", gen, "not-a-member"), 25)
        self.assertEqual(c.heartbeat("no-such-group", 1, "x"), 25)
        self.assertEqual(c.heartbeat("g", gen + 7, member), 22)  # ILLEGAL_GENERATION

        # MEMBER_ID_REQUIRED only from JoinGroup v4 on (v3 gets its member id directly).
        err, _, _, m3 = c.join(3, "v3-group", 10000)
        self.assertEqual(err, 0)
        self.assertTrue(m3)
        err, _, _, m4 = c.join(4, "v4-group", 10000)
        self.assertEqual(err, 79)
        self.assertTrue(m4)
        err, _, _, again = c.join(4, "v4-group", 10000, member=m4)
        self.assertEqual((err, again), (0, m4))

        # The original member was not disturbed by any of it.
        self.assertEqual(c.heartbeat("g", gen, member), 0)
        # DescribeGroups v0 of a group nobody knows: Dead, error 0.
        r = c.call(15, 0, struct.pack(">i", 1) + kstring("unknown-group"))
        (n,) = struct.unpack_from(">i", r, 0)
        err = struct.unpack_from(">h", r, 4)[0]
        gid, pos = read_string(r, 6)
        state, pos = read_string(r, pos)
        self.assertEqual((n, err, gid, state), (1, 0, "unknown-group", "Dead"))
        c.s.close()
        self.broker.assert_alive("after bad group requests")


if __name__ == "__main__":
    harness.main(timeout=120)
