#!/usr/bin/env python3
"""Holds N idle Kafka client connections open to a broker (issue 14: "10,000 idle client connections cost <= 64 KiB
each and slow nothing"). Each connection completes an ApiVersions v0 exchange first, so the broker has really set it
up; then the script prints one JSON line on stdout ({"connections": N, "rss_before_kib": ..., "rss_after_kib": ...,
"kib_per_connection": ...}), measured from the broker's /proc/PID/status VmRSS, and keeps the connections open
until its stdin closes (so a benchmark can run beside them).

    idle_conns.py HOST:PORT BROKER_PID [N]
"""
import json
import resource
import socket
import struct
import sys
import time


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def api_versions(sock, correlation_id):
    body = struct.pack(">hhih", 18, 0, correlation_id, -1)  # ApiVersions v0, no client id
    sock.sendall(struct.pack(">i", len(body)) + body)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    reply = recv_exact(sock, size)
    if struct.unpack(">i", reply[:4])[0] != correlation_id or struct.unpack(">h", reply[4:6])[0] != 0:
        raise RuntimeError("bad ApiVersions reply")


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise RuntimeError("connection closed by the broker")
        out += chunk
    return out


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    pid = int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 1000)), hard))
    before = rss_kib(pid)
    socks = []
    for i in range(n):
        s = socket.create_connection((host, int(port)), timeout=10)
        api_versions(s, i)
        socks.append(s)
    time.sleep(1)  # let the broker settle (its coroutines are all parked now)
    after = rss_kib(pid)
    print(json.dumps({"connections": n, "rss_before_kib": before, "rss_after_kib": after,
                      "kib_per_connection": (after - before) / n}), flush=True)
    sys.stdin.read()  # hold them until told to stop
    # Every connection must still be open (the broker's idle timeout is 10 minutes by default).
    alive = sum(1 for i, s in enumerate(socks) if ping(s, n + i))
    print(json.dumps({"still_open": alive}), flush=True)


def ping(sock, correlation_id):
    try:
        api_versions(sock, correlation_id)
        return True
    except (OSError, RuntimeError):
        return False


if __name__ == "__main__":
    main()
