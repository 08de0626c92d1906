#!/usr/bin/env python3
"""Tiny single-node Kafka impostor used to capture golden request frames.

It listens on 127.0.0.1:<port>, answers just enough of the Kafka protocol for
real clients (librdkafka/kcat, confluent-kafka-python, kafka-python, kafkajs)
to produce and consume one topic ("golden", one partition led by node 1), and
saves the first frame of every (api_key, api_version) it receives as

    <out>/<client>_<api_name>_v<version>.bin

where the file holds the request bytes after the 4-byte size prefix
(request header + body), exactly as the client sent them.

Python 3 standard library only.  Not a broker: no persistence, no
replication, one topic, one partition, one consumer group that always has a
single member.  Only non-flexible versions are advertised, except
ApiVersions v3 (whose response still uses response header v0).

Usage: fake_broker.py --client NAME --port PORT --out DIR [--lifetime SECONDS]
"""

import argparse
import os
import socket
import socketserver
import struct
import sys
import threading
import time

TOPIC = "golden"
NODE_ID = 1
HOST = "127.0.0.1"
CLUSTER_ID = "c2Ftc2EtZ29sZGVuLWNs"
GROUP_GENERATION = 1

# api_key -> (snake_case name, advertised min, advertised max)
APIS = {
    0: ("produce", 3, 7),
    1: ("fetch", 4, 11),
    2: ("list_offsets", 1, 5),
    3: ("metadata", 0, 8),
    8: ("offset_commit", 0, 7),
    9: ("offset_fetch", 0, 5),
    10: ("find_coordinator", 0, 2),
    11: ("join_group", 0, 5),
    12: ("heartbeat", 0, 3),
    13: ("leave_group", 0, 3),
    14: ("sync_group", 0, 3),
    15: ("describe_groups", 0, 4),
    16: ("list_groups", 0, 2),
    18: ("api_versions", 0, 3),
    19: ("create_topics", 0, 4),
    20: ("delete_topics", 0, 3),
    21: ("delete_records", 0, 1),
    22: ("init_producer_id", 0, 1),
    32: ("describe_configs", 0, 2),
    33: ("alter_configs", 0, 1),
    37: ("create_partitions", 0, 1),
    42: ("delete_groups", 0, 1),
}

# First flexible version of each advertised API (request header v2 from there).
# Of the advertised ranges only ApiVersions v3 is flexible.
FIRST_FLEXIBLE = {
    0: 9, 1: 12, 2: 6, 3: 9, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4,
    15: 5, 16: 3, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2, 32: 4, 33: 2, 37: 2, 42: 2,
}

ERR_NONE = 0
ERR_UNKNOWN_TOPIC_OR_PARTITION = 3
ERR_UNSUPPORTED_VERSION = 35
ERR_TOPIC_ALREADY_EXISTS = 36


def api_name(key):
    return APIS[key][0] if key in APIS else "api%d" % key


# --------------------------------------------------------------------------
# Primitive encoding / decoding
# --------------------------------------------------------------------------

class Reader:
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def _take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated frame")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self._take(1))[0]

    def i16(self):
        return struct.unpack(">h", self._take(2))[0]

    def i32(self):
        return struct.unpack(">i", self._take(4))[0]

    def i64(self):
        return struct.unpack(">q", self._take(8))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            b = self._take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.i16()
        return None if n < 0 else self._take(n).decode("utf-8")

    def bytes_(self):
        n = self.i32()
        return None if n < 0 else self._take(n)

    def array(self, elem):
        n = self.i32()
        return None if n < 0 else [elem() for _ in range(n)]

    def compact_string(self):
        n = self.uvarint() - 1
        return None if n < 0 else self._take(n).decode("utf-8")

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self._take(self.uvarint())


class Writer:
    def __init__(self):
        self.parts = []

    def raw(self, b):
        self.parts.append(b)
        return self

    def i8(self, v):
        return self.raw(struct.pack(">b", v))

    def bool_(self, v):
        return self.raw(b"\x01" if v else b"\x00")

    def i16(self, v):
        return self.raw(struct.pack(">h", v))

    def i32(self, v):
        return self.raw(struct.pack(">i", v))

    def i64(self, v):
        return self.raw(struct.pack(">q", v))

    def uvarint(self, v):
        out = bytearray()
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
        return self.raw(bytes(out))

    def string(self, s):
        if s is None:
            return self.i16(-1)
        b = s.encode("utf-8")
        return self.i16(len(b)).raw(b)

    def bytes_(self, b):
        if b is None:
            return self.i32(-1)
        return self.i32(len(b)).raw(b)

    def array(self, items, elem):
        if items is None:
            return self.i32(-1)
        self.i32(len(items))
        for it in items:
            elem(it)
        return self

    def i32_array(self, items):
        return self.array(items, self.i32)

    def getvalue(self):
        return b"".join(self.parts)


# --------------------------------------------------------------------------
# The single partition log
# --------------------------------------------------------------------------

class PartitionLog:
    """In-memory log of RecordBatch v2 batches for golden[0]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.batches = []  # (base_offset, next_offset, bytes)
        self.next_offset = 0

    def append(self, records):
        """Append every batch in `records`; return the first base offset."""
        with self.lock:
            first = self.next_offset
            pos = 0
            while records is not None and pos + 61 <= len(records):
                batch_len = struct.unpack_from(">i", records, pos + 8)[0]
                batch = bytearray(records[pos:pos + 12 + batch_len])
                pos += 12 + batch_len
                last_delta = struct.unpack_from(">i", batch, 23)[0]
                base = self.next_offset
                # baseOffset and partitionLeaderEpoch are outside the CRC.
                struct.pack_into(">q", batch, 0, base)
                struct.pack_into(">i", batch, 12, 0)
                self.next_offset = base + last_delta + 1
                self.batches.append((base, self.next_offset, bytes(batch)))
            return first

    def read(self, offset, max_bytes):
        with self.lock:
            out = []
            size = 0
            for base, nxt, batch in self.batches:
                if nxt <= offset:
                    continue
                if out and size + len(batch) > max_bytes:
                    break
                out.append(batch)
                size += len(batch)
            return b"".join(out), self.next_offset


# --------------------------------------------------------------------------
# Request handlers.  Each takes (broker, version, Reader) and returns the
# response body bytes, or None when no response must be sent.
# --------------------------------------------------------------------------

def handle_api_versions(broker, v, r):
    w = Writer()
    if v > 3:
        # Unsupported version: v0-layout error reply listing key 18.
        w.i16(ERR_UNSUPPORTED_VERSION)
        w.i32(1).i16(18).i16(0).i16(3)
        return w.getvalue()
    w.i16(ERR_NONE)
    keys = sorted(APIS)
    if v >= 3:
        w.uvarint(len(keys) + 1)
        for k in keys:
            w.i16(k).i16(APIS[k][1]).i16(APIS[k][2]).uvarint(0)
        w.i32(0)  # throttle_time_ms
        w.uvarint(0)  # top-level tagged fields
    else:
        w.i32(len(keys))
        for k in keys:
            w.i16(k).i16(APIS[k][1]).i16(APIS[k][2])
        if v >= 1:
            w.i32(0)
    return w.getvalue()


def write_golden_topic_metadata(w, v, error=ERR_NONE, name=TOPIC):
    w.i16(error).string(name)
    if v >= 1:
        w.bool_(False)  # is_internal
    if error:
        w.i32(0)
    else:
        w.i32(1)  # one partition
        w.i16(ERR_NONE).i32(0).i32(NODE_ID)
        if v >= 7:
            w.i32(0)  # leader_epoch
        w.i32_array([NODE_ID])  # replicas
        w.i32_array([NODE_ID])  # isr
        if v >= 5:
            w.i32_array([])  # offline replicas
    if v >= 8:
        w.i32(-2147483648)  # topic_authorized_operations


def handle_metadata(broker, v, r):
    topics = r.array(r.string)
    if v >= 4:
        r.i8()  # allow_auto_topic_creation
    if v >= 8:
        r.i8()
        r.i8()
    if topics is None or (v == 0 and not topics):
        topics = [TOPIC]  # all topics
    w = Writer()
    if v >= 3:
        w.i32(0)
    w.i32(1)  # brokers
    w.i32(NODE_ID).string(HOST).i32(broker.port)
    if v >= 1:
        w.string(None)  # rack
    if v >= 2:
        w.string(CLUSTER_ID)
    if v >= 1:
        w.i32(NODE_ID)  # controller_id
    w.i32(len(topics))
    for t in topics:
        write_golden_topic_metadata(
            w, v, ERR_NONE if t == TOPIC else ERR_UNKNOWN_TOPIC_OR_PARTITION, t)
    if v >= 8:
        w.i32(-2147483648)  # cluster_authorized_operations
    return w.getvalue()


def handle_produce(broker, v, r):
    r.string()  # transactional_id
    acks = r.i16()
    r.i32()  # timeout_ms

    def partition():
        return r.i32(), r.bytes_()

    def topic():
        return r.string(), r.array(partition)

    results = []
    for name, parts in r.array(topic):
        pres = []
        for index, records in parts:
            if name == TOPIC and index == 0:
                pres.append((index, ERR_NONE, broker.log.append(records)))
            else:
                pres.append((index, ERR_UNKNOWN_TOPIC_OR_PARTITION, -1))
        results.append((name, pres))
    if acks == 0:
        return None
    w = Writer()
    w.i32(len(results))
    for name, pres in results:
        w.string(name).i32(len(pres))
        for index, err, base in pres:
            w.i32(index).i16(err).i64(base)
            w.i64(-1)  # log_append_time_ms (v2+)
            if v >= 5:
                w.i64(0)  # log_start_offset
    w.i32(0)  # throttle_time_ms
    return w.getvalue()


def handle_fetch(broker, v, r):
    r.i32()  # replica_id
    max_wait_ms = r.i32()
    r.i32()  # min_bytes
    r.i32()  # max_bytes (v3+)
    r.i8()  # isolation_level (v4+)
    if v >= 7:
        r.i32()  # session_id
        r.i32()  # session_epoch

    def partition():
        index = r.i32()
        if v >= 9:
            r.i32()  # current_leader_epoch
        offset = r.i64()
        if v >= 5:
            r.i64()  # log_start_offset
        return index, offset, r.i32()

    def topic():
        return r.string(), r.array(partition)

    topics = r.array(topic)
    # The rest (forgotten_topics_data v7+, rack_id v11+) is not needed.

    def build():
        out = []
        have_data = False
        for name, parts in topics:
            pres = []
            for index, offset, max_bytes in parts:
                if name == TOPIC and index == 0:
                    records, hwm = broker.log.read(offset, max_bytes)
                    have_data = have_data or bool(records)
                    pres.append((index, ERR_NONE, hwm, records))
                else:
                    pres.append((index, ERR_UNKNOWN_TOPIC_OR_PARTITION, -1, b""))
            out.append((name, pres))
        return out, have_data

    results, have_data = build()
    if not have_data and max_wait_ms > 0:
        # Short long-poll so that clients do not spin.
        time.sleep(min(max_wait_ms, 300) / 1000.0)
        results, have_data = build()

    w = Writer()
    w.i32(0)  # throttle_time_ms
    if v >= 7:
        w.i16(ERR_NONE).i32(0)  # error_code, session_id
    w.i32(len(results))
    for name, pres in results:
        w.string(name).i32(len(pres))
        for index, err, hwm, records in pres:
            w.i32(index).i16(err).i64(hwm)
            w.i64(hwm)  # last_stable_offset (v4+)
            if v >= 5:
                w.i64(0)  # log_start_offset
            w.i32(0)  # aborted_transactions: empty array
            if v >= 11:
                w.i32(-1)  # preferred_read_replica
            w.bytes_(records)
    return w.getvalue()


def handle_list_offsets(broker, v, r):
    r.i32()  # replica_id
    if v >= 2:
        r.i8()  # isolation_level

    def partition():
        index = r.i32()
        if v >= 4:
            r.i32()  # current_leader_epoch
        return index, r.i64()

    def topic():
        return r.string(), r.array(partition)

    w = Writer()
    if v >= 2:
        w.i32(0)
    topics = r.array(topic)
    w.i32(len(topics))
    for name, parts in topics:
        w.string(name).i32(len(parts))
        for index, ts in parts:
            if name == TOPIC and index == 0:
                hwm = broker.log.next_offset
                offset = 0 if ts == -2 else hwm if ts == -1 else 0
                w.i32(index).i16(ERR_NONE).i64(-1).i64(offset)
            else:
                w.i32(index).i16(ERR_UNKNOWN_TOPIC_OR_PARTITION).i64(-1).i64(-1)
            if v >= 4:
                w.i32(0)  # leader_epoch
    return w.getvalue()


def handle_find_coordinator(broker, v, r):
    w = Writer()
    if v >= 1:
        w.i32(0)
    w.i16(ERR_NONE)
    if v >= 1:
        w.string(None)
    w.i32(NODE_ID).string(HOST).i32(broker.port)
    return w.getvalue()


def handle_join_group(broker, v, r):
    r.string()  # group_id
    r.i32()  # session_timeout_ms
    if v >= 1:
        r.i32()  # rebalance_timeout_ms
    member_id = r.string()
    instance_id = r.string() if v >= 5 else None
    r.string()  # protocol_type
    protocols = r.array(lambda: (r.string(), r.bytes_()))
    if not member_id:
        member_id = "%s-member-1" % broker.client
    proto_name, proto_meta = protocols[0]
    w = Writer()
    if v >= 2:
        w.i32(0)
    w.i16(ERR_NONE).i32(GROUP_GENERATION).string(proto_name)
    w.string(member_id)  # leader
    w.string(member_id)
    w.i32(1).string(member_id)
    if v >= 5:
        w.string(instance_id)
    w.bytes_(proto_meta)
    return w.getvalue()


def handle_sync_group(broker, v, r):
    r.string()  # group_id
    r.i32()  # generation_id
    member_id = r.string()
    if v >= 3:
        r.string()  # group_instance_id
    assignments = r.array(lambda: (r.string(), r.bytes_()))
    mine = b""
    for mid, assignment in assignments or []:
        if mid == member_id:
            mine = assignment
    w = Writer()
    if v >= 1:
        w.i32(0)
    w.i16(ERR_NONE).bytes_(mine)
    return w.getvalue()


def handle_heartbeat(broker, v, r):
    w = Writer()
    if v >= 1:
        w.i32(0)
    return w.i16(ERR_NONE).getvalue()


def handle_leave_group(broker, v, r):
    r.string()  # group_id
    members = []
    if v >= 3:
        members = r.array(lambda: (r.string(), r.string()))
    w = Writer()
    if v >= 1:
        w.i32(0)
    w.i16(ERR_NONE)
    if v >= 3:
        w.i32(len(members))
        for mid, iid in members:
            w.string(mid).string(iid).i16(ERR_NONE)
    return w.getvalue()


def handle_offset_fetch(broker, v, r):
    r.string()  # group_id
    topics = r.array(lambda: (r.string(), r.array(r.i32)))
    w = Writer()
    if v >= 3:
        w.i32(0)
    topics = topics or []
    w.i32(len(topics))
    for name, parts in topics:
        w.string(name).i32(len(parts))
        for index in parts:
            w.i32(index).i64(-1)  # no committed offset
            if v >= 5:
                w.i32(-1)
            w.string("").i16(ERR_NONE)
    if v >= 2:
        w.i16(ERR_NONE)
    return w.getvalue()


def handle_offset_commit(broker, v, r):
    r.string()  # group_id
    if v >= 1:
        r.i32()  # generation
        r.string()  # member_id
    if v >= 7:
        r.string()  # group_instance_id
    if 2 <= v <= 4:
        r.i64()  # retention_time_ms

    def partition():
        index = r.i32()
        r.i64()  # committed_offset
        if v >= 6:
            r.i32()
        if v == 1:
            r.i64()
        r.string()  # metadata
        return index

    topics = r.array(lambda: (r.string(), r.array(partition)))
    w = Writer()
    if v >= 3:
        w.i32(0)
    w.i32(len(topics))
    for name, parts in topics:
        w.string(name).i32(len(parts))
        for index in parts:
            w.i32(index).i16(ERR_NONE)
    return w.getvalue()


def handle_init_producer_id(broker, v, r):
    return Writer().i32(0).i16(ERR_NONE).i64(1000).i16(0).getvalue()


def handle_create_topics(broker, v, r):
    def config():
        return r.string(), r.string()

    def assignment():
        return r.i32(), r.array(r.i32)

    def topic():
        name = r.string()
        r.i32()
        r.i16()
        r.array(assignment)
        r.array(config)
        return name

    topics = r.array(topic)
    w = Writer()
    if v >= 2:
        w.i32(0)
    w.i32(len(topics))
    for name in topics:
        w.string(name)
        if name == TOPIC:
            w.i16(ERR_TOPIC_ALREADY_EXISTS)
            if v >= 1:
                w.string("Topic '%s' already exists." % TOPIC)
        else:
            w.i16(ERR_NONE)
            if v >= 1:
                w.string(None)
    return w.getvalue()


HANDLERS = {
    0: handle_produce,
    1: handle_fetch,
    2: handle_list_offsets,
    3: handle_metadata,
    8: handle_offset_commit,
    9: handle_offset_fetch,
    10: handle_find_coordinator,
    11: handle_join_group,
    12: handle_heartbeat,
    13: handle_leave_group,
    14: handle_sync_group,
    18: handle_api_versions,
    19: handle_create_topics,
    22: handle_init_producer_id,
}


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class Broker:
    def __init__(self, client, port, out_dir):
        self.client = client
        self.port = port
        self.out_dir = out_dir
        self.log = PartitionLog()
        self.saved = set()
        self.lock = threading.Lock()

    def save(self, key, version, frame):
        with self.lock:
            if (key, version) in self.saved:
                return
            self.saved.add((key, version))
        path = os.path.join(self.out_dir, "%s_%s_v%d.bin" % (
            self.client, api_name(key), version))
        with open(path, "wb") as f:
            f.write(frame)
        log("saved %s (%d bytes)" % (os.path.basename(path), len(frame)))

    def handle_frame(self, frame):
        """Return the response frame (with size prefix) or None."""
        r = Reader(frame)
        key, version, corr = r.i16(), r.i16(), r.i32()
        client_id = r.string()
        self.save(key, version, frame)
        log("%s key=%d(%s) v%d corr=%d client_id=%r" % (
            self.client, key, api_name(key), version, corr, client_id))
        flexible = key in FIRST_FLEXIBLE and version >= FIRST_FLEXIBLE[key]
        if key == 18:
            # ApiVersions: header v2 from v3 on; the body is not needed.
            if version >= 3:
                r.skip_tags()
            body = handle_api_versions(self, version, r)
            return frame_response(corr, body, False)
        lo_hi = APIS.get(key)
        if key not in HANDLERS or version < lo_hi[1] or version > lo_hi[2]:
            raise ConnectionAbortedError(
                "unhandled api key %d v%d" % (key, version))
        if flexible:  # never happens with the advertised ranges
            r.skip_tags()
        body = HANDLERS[key](self, version, r)
        if body is None:
            return None
        return frame_response(corr, body, flexible)


def frame_response(corr, body, flexible):
    header = struct.pack(">i", corr) + (b"\x00" if flexible else b"")
    return struct.pack(">i", len(header) + len(body)) + header + body


def log(msg):
    sys.stderr.write("[fake_broker %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        broker = self.server.broker
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                size = recv_exact(sock, 4)
                if size is None:
                    return
                n = struct.unpack(">i", size)[0]
                frame = recv_exact(sock, n)
                if frame is None:
                    return
                resp = broker.handle_frame(frame)
                if resp is not None:
                    sock.sendall(resp)
        except (ConnectionError, ValueError, IndexError, TypeError) as e:
            log("closing connection: %s" % e)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--client", required=True,
                    help="prefix of the saved frame files")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True, help="directory for .bin files")
    ap.add_argument("--lifetime", type=float, default=300.0,
                    help="exit after this many seconds (safety net)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    server = Server((HOST, args.port), Handler)
    server.broker = Broker(args.client, args.port, args.out)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    log("listening on %s:%d for %s" % (HOST, args.port, args.client))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
