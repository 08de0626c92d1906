#!/usr/bin/env python3
"""Independent decoder/validator for the captured golden request frames.

Each .bin file holds one Kafka request frame without its 4-byte size prefix
(request header + body).  For every file this script

  * decodes the request header (v1, or v2 for flexible versions),
  * checks that the file name <client>_<api>_v<version>.bin matches the header,
  * fully decodes the body of every API it knows (the body must be consumed
    exactly, to the last byte),
  * for record batches (Produce) checks magic 2, batchLength and the CRC-32C
    and decodes every record (key, value, headers),

and prints one manifest line per file:

    <file> <api_key> <api_version> <correlation_id> <client_id or -> <note>

With --manifest PATH the lines are also written to PATH.  Exit status 1 when
any frame fails to validate.  Python 3 standard library only; deliberately
shares no code with fake_broker.py.
"""

import argparse
import os
import re
import struct
import sys

CLIENTS = ("kcat", "confluent_kafka", "kafka_python", "kafkajs")

API_NAMES = {
    0: "produce", 1: "fetch", 2: "list_offsets", 3: "metadata",
    8: "offset_commit", 9: "offset_fetch", 10: "find_coordinator",
    11: "join_group", 12: "heartbeat", 13: "leave_group", 14: "sync_group",
    15: "describe_groups", 16: "list_groups", 18: "api_versions",
    19: "create_topics", 20: "delete_topics", 21: "delete_records",
    22: "init_producer_id", 32: "describe_configs", 33: "alter_configs",
    37: "create_partitions", 42: "delete_groups",
}

# First flexible request version per API key (Kafka's flexibleVersions).
FIRST_FLEXIBLE = {
    0: 9, 1: 12, 2: 6, 3: 9, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4,
    15: 5, 16: 3, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2, 32: 4, 33: 2, 37: 2, 42: 2,
}

INF = 1 << 30


def arr(*fields):
    return ("arr", fields)


def narr(*fields):
    return ("narr", fields)


# Request body schemas: (field name, type, first version, last version).
# Types: i8 i16 i32 i64 bool str nstr bytes nbytes records i32arr cstr tags,
# arr(...) / narr(...) of sub-fields.  Only the non-flexible layouts (and
# ApiVersions v3) are described, which is all the fake broker advertises.
SCHEMAS = {
    18: [
        ("client_software_name", "cstr", 3, INF),
        ("client_software_version", "cstr", 3, INF),
        ("_tags", "tags", 3, INF),
    ],
    3: [
        ("topics", narr(("name", "str", 0, INF)), 0, INF),
        ("allow_auto_topic_creation", "bool", 4, INF),
        ("include_cluster_authorized_operations", "bool", 8, 10),
        ("include_topic_authorized_operations", "bool", 8, INF),
    ],
    0: [
        ("transactional_id", "nstr", 3, INF),
        ("acks", "i16", 0, INF),
        ("timeout_ms", "i32", 0, INF),
        ("topics", arr(
            ("name", "str", 0, INF),
            ("partitions", arr(
                ("index", "i32", 0, INF),
                ("records", "records", 0, INF),
            ), 0, INF),
        ), 0, INF),
    ],
    1: [
        ("replica_id", "i32", 0, INF),
        ("max_wait_ms", "i32", 0, INF),
        ("min_bytes", "i32", 0, INF),
        ("max_bytes", "i32", 3, INF),
        ("isolation_level", "i8", 4, INF),
        ("session_id", "i32", 7, INF),
        ("session_epoch", "i32", 7, INF),
        ("topics", arr(
            ("topic", "str", 0, INF),
            ("partitions", arr(
                ("partition", "i32", 0, INF),
                ("current_leader_epoch", "i32", 9, INF),
                ("fetch_offset", "i64", 0, INF),
                ("log_start_offset", "i64", 5, INF),
                ("partition_max_bytes", "i32", 0, INF),
            ), 0, INF),
        ), 0, INF),
        ("forgotten_topics", arr(
            ("topic", "str", 7, INF),
            ("partitions", "i32arr", 7, INF),
        ), 7, INF),
        ("rack_id", "str", 11, INF),
    ],
    2: [
        ("replica_id", "i32", 0, INF),
        ("isolation_level", "i8", 2, INF),
        ("topics", arr(
            ("name", "str", 0, INF),
            ("partitions", arr(
                ("partition_index", "i32", 0, INF),
                ("current_leader_epoch", "i32", 4, INF),
                ("timestamp", "i64", 0, INF),
                ("max_num_offsets", "i32", 0, 0),
            ), 0, INF),
        ), 0, INF),
    ],
    10: [
        ("key", "str", 0, INF),
        ("key_type", "i8", 1, INF),
    ],
    11: [
        ("group_id", "str", 0, INF),
        ("session_timeout_ms", "i32", 0, INF),
        ("rebalance_timeout_ms", "i32", 1, INF),
        ("member_id", "str", 0, INF),
        ("group_instance_id", "nstr", 5, INF),
        ("protocol_type", "str", 0, INF),
        ("protocols", arr(
            ("name", "str", 0, INF),
            ("metadata", "bytes", 0, INF),
        ), 0, INF),
    ],
    12: [
        ("group_id", "str", 0, INF),
        ("generation_id", "i32", 0, INF),
        ("member_id", "str", 0, INF),
        ("group_instance_id", "nstr", 3, INF),
    ],
    13: [
        ("group_id", "str", 0, INF),
        ("member_id", "str", 0, 2),
        ("members", arr(
            ("member_id", "str", 3, INF),
            ("group_instance_id", "nstr", 3, INF),
        ), 3, INF),
    ],
    14: [
        ("group_id", "str", 0, INF),
        ("generation_id", "i32", 0, INF),
        ("member_id", "str", 0, INF),
        ("group_instance_id", "nstr", 3, INF),
        ("assignments", arr(
            ("member_id", "str", 0, INF),
            ("assignment", "bytes", 0, INF),
        ), 0, INF),
    ],
    9: [
        ("group_id", "str", 0, INF),
        ("topics", narr(
            ("name", "str", 0, INF),
            ("partition_indexes", "i32arr", 0, INF),
        ), 0, INF),
        ("require_stable", "bool", 7, INF),
    ],
    8: [
        ("group_id", "str", 0, INF),
        ("generation_id", "i32", 1, INF),
        ("member_id", "str", 1, INF),
        ("group_instance_id", "nstr", 7, INF),
        ("retention_time_ms", "i64", 2, 4),
        ("topics", arr(
            ("name", "str", 0, INF),
            ("partitions", arr(
                ("partition_index", "i32", 0, INF),
                ("committed_offset", "i64", 0, INF),
                ("committed_leader_epoch", "i32", 6, INF),
                ("commit_timestamp", "i64", 1, 1),
                ("committed_metadata", "nstr", 0, INF),
            ), 0, INF),
        ), 0, INF),
    ],
    19: [
        ("topics", arr(
            ("name", "str", 0, INF),
            ("num_partitions", "i32", 0, INF),
            ("replication_factor", "i16", 0, INF),
            ("assignments", arr(
                ("partition_index", "i32", 0, INF),
                ("broker_ids", "i32arr", 0, INF),
            ), 0, INF),
            ("configs", arr(
                ("name", "str", 0, INF),
                ("value", "nstr", 0, INF),
            ), 0, INF),
        ), 0, INF),
        ("timeout_ms", "i32", 0, INF),
        ("validate_only", "bool", 1, INF),
    ],
}


class DecodeError(Exception):
    pass


class Buf:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise DecodeError("need %d bytes at %d, have %d" % (
                n, self.pos, len(self.data) - self.pos))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt):
        return struct.unpack(">" + fmt, self.take(struct.calcsize(">" + fmt)))[0]

    def uvarint(self):
        value = shift = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise DecodeError("varint too long")

    def zigzag(self):
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)

    def remaining(self):
        return len(self.data) - self.pos


# ---------------------------------------------------------------- CRC-32C

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---------------------------------------------------------- record batches

class RecordBatches(list):
    """Decoded contents of a `records` field: a list of batch dicts."""


def decode_record_batches(data):
    """Decode a RecordBatch v2 sequence; return RecordBatches."""
    buf = Buf(data)
    batches = RecordBatches()
    while buf.remaining():
        start = buf.pos
        base_offset = buf.unpack("q")
        batch_length = buf.unpack("i")
        end = buf.pos + batch_length
        if end > len(data):
            raise DecodeError("record batch truncated")
        buf.unpack("i")  # partition leader epoch
        magic = buf.unpack("b")
        if magic != 2:
            raise DecodeError("magic %d, expected 2" % magic)
        crc = buf.unpack("I")
        if crc32c(data[buf.pos:end]) != crc:
            raise DecodeError("record batch CRC-32C mismatch")
        attributes = buf.unpack("h")
        last_offset_delta = buf.unpack("i")
        base_ts = buf.unpack("q")
        buf.unpack("q")  # max timestamp
        producer_id = buf.unpack("q")
        producer_epoch = buf.unpack("h")
        base_sequence = buf.unpack("i")
        count = buf.unpack("i")
        if attributes & 0x07:
            raise DecodeError("compressed batches not expected in golden frames")
        records = []
        for _ in range(count):
            length = buf.zigzag()
            rec_end = buf.pos + length
            buf.take(1)  # attributes
            buf.zigzag()  # timestamp delta
            offset_delta = buf.zigzag()
            klen = buf.zigzag()
            key = None if klen < 0 else buf.take(klen)
            vlen = buf.zigzag()
            value = None if vlen < 0 else buf.take(vlen)
            headers = []
            for _ in range(buf.zigzag()):
                hk = buf.take(buf.zigzag()).decode("utf-8")
                hvlen = buf.zigzag()
                headers.append((hk, None if hvlen < 0 else buf.take(hvlen)))
            if buf.pos != rec_end:
                raise DecodeError("record length mismatch")
            records.append((offset_delta, key, value, headers))
        if buf.pos != end:
            raise DecodeError("batchLength mismatch (%d != %d)" % (buf.pos, end))
        if last_offset_delta + 1 != count:
            raise DecodeError("lastOffsetDelta+1 != record count")
        batches.append(dict(base_offset=base_offset, size=end - start,
                            attributes=attributes, base_ts=base_ts,
                            producer_id=producer_id, producer_epoch=producer_epoch,
                            base_sequence=base_sequence, records=records))
    return batches


# ------------------------------------------------------------ generic body

def decode_fields(buf, fields, version):
    out = {}
    for name, ftype, lo, hi in fields:
        if not lo <= version <= hi:
            continue
        out[name] = decode_value(buf, ftype, version)
    return out


def decode_value(buf, ftype, version):
    if isinstance(ftype, tuple):
        kind, sub = ftype
        n = buf.unpack("i")
        if n < 0:
            if kind != "narr":
                raise DecodeError("null array in a non-nullable field")
            return None
        return [decode_fields(buf, sub, version) for _ in range(n)]
    if ftype in ("i8", "bool"):
        v = buf.unpack("b")
        return bool(v) if ftype == "bool" else v
    if ftype == "i16":
        return buf.unpack("h")
    if ftype == "i32":
        return buf.unpack("i")
    if ftype == "i64":
        return buf.unpack("q")
    if ftype in ("str", "nstr"):
        n = buf.unpack("h")
        if n < 0:
            if ftype == "str":
                raise DecodeError("null in a non-nullable string")
            return None
        return buf.take(n).decode("utf-8")
    if ftype in ("bytes", "nbytes", "records"):
        n = buf.unpack("i")
        if n < 0:
            if ftype == "bytes":
                raise DecodeError("null in non-nullable bytes")
            return None
        raw = buf.take(n)
        return decode_record_batches(raw) if ftype == "records" else raw
    if ftype == "i32arr":
        n = buf.unpack("i")
        return None if n < 0 else [buf.unpack("i") for _ in range(n)]
    if ftype == "cstr":
        n = buf.uvarint() - 1
        return None if n < 0 else buf.take(n).decode("utf-8")
    if ftype == "tags":
        tags = {}
        for _ in range(buf.uvarint()):
            tag = buf.uvarint()
            tags[tag] = buf.take(buf.uvarint())
        return tags
    raise AssertionError(ftype)


# Embedded consumer-protocol payloads (JoinGroup metadata, SyncGroup
# assignment), decoded for the notes only when they parse exactly.
SUBSCRIPTION = [
    ("version", "i16", 0, INF),
    ("topics", arr(("topic", "str", 0, INF)), 0, INF),
    ("user_data", "nbytes", 0, INF),
    ("owned_partitions", arr(("topic", "str", 1, INF),
                             ("partitions", "i32arr", 1, INF)), 1, INF),
    ("generation_id", "i32", 2, INF),
    ("rack_id", "nstr", 3, INF),
]
ASSIGNMENT = [
    ("version", "i16", 0, INF),
    ("assigned", arr(("topic", "str", 0, INF),
                     ("partitions", "i32arr", 0, INF)), 0, INF),
    ("user_data", "nbytes", 0, INF),
]


def decode_embedded(raw, fields):
    """Decode a consumer-protocol payload; return None unless exact."""
    try:
        version = struct.unpack_from(">h", raw, 0)[0]
        buf = Buf(raw)
        out = decode_fields(buf, fields, version)
        return out if not buf.remaining() else None
    except (DecodeError, struct.error, UnicodeDecodeError):
        return None


def annotate_group_payloads(key, body):
    """Replace opaque group payload bytes with their decoded form."""
    if key == 11:
        for p in body.get("protocols") or []:
            p["metadata"] = decode_embedded(p["metadata"], SUBSCRIPTION) or p["metadata"]
    elif key == 14:
        for a in body.get("assignments") or []:
            a["assignment"] = decode_embedded(a["assignment"], ASSIGNMENT) or a["assignment"]


# ------------------------------------------------------------------ notes

def fmt_bytes(b):
    if b is None:
        return "null"
    try:
        s = b.decode("ascii")
        if s.isprintable():
            return s
    except UnicodeDecodeError:
        pass
    return "0x" + b.hex()


def fmt_batches(batches):
    parts = []
    for b in batches:
        recs = []
        for delta, key, value, headers in b["records"]:
            hs = ",".join("%s=%s" % (k, fmt_bytes(v)) for k, v in headers)
            recs.append("{+%d key=%s value=%s headers=%s}" % (
                delta, fmt_bytes(key), fmt_bytes(value), hs or "none"))
        parts.append("batch(magic=2 crc=ok codec=none producer_id=%d records=%d %s)" % (
            b["producer_id"], len(b["records"]), " ".join(recs)))
    return "[" + " ".join(parts) + "]"


def fmt_value(v):
    if isinstance(v, dict):
        return "{" + " ".join("%s=%s" % (k, fmt_value(x)) for k, x in v.items()
                              if not k.startswith("_")) + "}"
    if isinstance(v, RecordBatches):
        return fmt_batches(v)
    if isinstance(v, list):
        return "[" + ",".join(fmt_value(x) for x in v) + "]"
    if isinstance(v, (bytes, bytearray)):
        return "<%d bytes>" % len(v)
    if v is None:
        return "null"
    if isinstance(v, str):
        return '""' if v == "" else v.replace(" ", "_") if " " in v else v
    return str(v).lower() if isinstance(v, bool) else str(v)


def note_for(body):
    if not body:
        return "empty body"
    return " ".join("%s=%s" % (k, fmt_value(v)) for k, v in body.items()
                    if not k.startswith("_"))


# -------------------------------------------------------------------- main

NAME_RE = re.compile(r"^(%s)_([a-z_]+)_v(\d+)\.bin$" % "|".join(CLIENTS))


def check_file(path):
    data = open(path, "rb").read()
    buf = Buf(data)
    key, version, corr = buf.unpack("h"), buf.unpack("h"), buf.unpack("i")
    n = buf.unpack("h")
    client_id = None if n < 0 else buf.take(n).decode("utf-8")
    flexible = key in FIRST_FLEXIBLE and version >= FIRST_FLEXIBLE[key]
    if flexible:
        decode_value(buf, "tags", version)
    m = NAME_RE.match(os.path.basename(path))
    if not m:
        raise DecodeError("unexpected file name")
    if API_NAMES.get(key) != m.group(2) or int(m.group(3)) != version:
        raise DecodeError("header says key %d v%d, file name disagrees" % (key, version))
    if key not in SCHEMAS:
        note = "body not decoded (%d bytes)" % buf.remaining()
    else:
        if flexible and key != 18:
            raise DecodeError("flexible body layout not described here")
        body = decode_fields(buf, SCHEMAS[key], version)
        if buf.remaining():
            raise DecodeError("%d trailing bytes after the body" % buf.remaining())
        annotate_group_payloads(key, body)
        note = note_for(body)
    if client_id is None:
        cid = "-"
    elif client_id == "":
        cid = '""'
    else:
        cid = client_id.replace(" ", "_")
    return "%s %d %d %d %s %s" % (os.path.basename(path), key, version, corr, cid, note)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", help="write the manifest to this file")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    lines, bad = [], 0
    for path in sorted(args.files, key=os.path.basename):
        try:
            line = check_file(path)
        except (DecodeError, UnicodeDecodeError, struct.error) as e:
            sys.stderr.write("INVALID %s: %s\n" % (path, e))
            bad += 1
            continue
        lines.append(line)
        print(line)
    if args.manifest and not bad:
        with open(args.manifest, "w") as f:
            f.write("# <file> <api_key> <api_version> <correlation_id> "
                    "<client_id or -> <decoded request body>\n")
            f.write("# Generated by tests/protocol/capture/decode_frames.py; "
                    "see README.md.\n")
            for line in lines:
                f.write(line + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
