"""Integration-test harness: runs a real `samsad` broker on loopback for real Kafka clients.

Stdlib only. Every wait is bounded; the process under test never outlives the test (PR_SET_PDEATHSIG, atexit
and a global watchdog).

    from harness import Broker, main
    b = Broker(overrides={"num.partitions": "3"}); b.start()
    b.bootstrap            # "127.0.0.1:PORT"
    b.kill9(); b.start()   # same data dir, same port
    b.stop()               # SIGTERM, SIGKILL after 5 s

Environment:
    SAMSAD             path of the broker binary (default: <repo>/build/src/daemon/samsad)
    SAMSA_KEEP_DATA=1  keep temp data dirs and logs after the run
Exit code 77 means "broker binary not found" (CTest SKIP_RETURN_CODE when the samsad target does not exist yet).
"""

import atexit
import ctypes
import faulthandler
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_BINARY = os.path.join(REPO, "build", "src", "daemon", "samsad")
PYTHON = "/usr/bin/python3"
KCAT = shutil.which("kcat") or shutil.which("kafkacat") or "kcat"

START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0

_ALL_BROKERS = []


def log(msg):
    sys.stderr.write("[harness %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def broker_binary():
    path = os.environ.get("SAMSAD") or DEFAULT_BINARY
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.stderr.write("SKIP/FAIL: broker binary not found or not executable: %s "
                         "(build it, or set SAMSAD=/path/to/samsad)\n" % path)
        sys.exit(77)
    return path


def free_port():
    """A port that was free a moment ago (bind to 0, read it back, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _pdeathsig():
    # Kill the broker if the test process dies (e.g. CTest timeout SIGKILLs us).
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class BrokerError(AssertionError):
    pass


class Broker:
    """One samsad process. Data dir and port survive stop()/kill9()/start() so restarts reuse them."""

    def __init__(self, overrides=None, name="samsad", port=None, data_dir=None, config_file=None):
        self.binary = broker_binary()
        self.name = name
        self.port = port or free_port()
        self.workdir = tempfile.mkdtemp(prefix="samsa-it-%s-" % name)
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(self.workdir, "samsad.stderr.log")
        self.config_file = config_file
        self.overrides = {
            "node.id": "1",
            "num.partitions": "1",
            "auto.create.topics.enable": "true",
        }
        self.overrides.update(overrides or {})
        self.host = "127.0.0.1"
        self.overrides["listeners"] = "PLAINTEXT://127.0.0.1:%d" % self.port
        self.overrides["log.dirs"] = self.data_dir
        self.proc = None
        self.starts = 0
        self._log_file = None
        _ALL_BROKERS.append(self)

    @property
    def bootstrap(self):
        return "%s:%d" % (self.host, self.port)

    def command(self):
        cmd = [self.binary]
        if self.config_file:
            cmd += ["--config", self.config_file]
        for k, v in self.overrides.items():
            cmd += ["--override", "%s=%s" % (k, v)]
        return cmd

    # ---- lifecycle -------------------------------------------------------------------------------------

    def start(self, timeout=START_TIMEOUT, wait=True):
        """Start the process; with wait=True (default) return once the client listener accepts connections (the
        broker opens it only after joining the metadata quorum). wait=False returns at once (see wait_ready)."""
        if self.running():
            raise BrokerError("%s already running (pid %d)" % (self.name, self.proc.pid))
        self.starts += 1
        self._log_file = open(self.log_path, "ab", buffering=0)
        self._log_file.write(("\n===== start #%d: %s\n" % (self.starts, " ".join(self.command()))).encode())
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=self._log_file, preexec_fn=_pdeathsig, close_fds=True)
        if not wait:
            return self
        return self.wait_ready(timeout)

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise BrokerError("%s exited with status %s during startup\n%s" % (self.name, rc, self.log_tail()))
            if port_open(self.port, host=self.host, timeout=0.5):
                log("%s pid %d listening on %s (start #%d)" % (self.name, self.proc.pid, self.bootstrap, self.starts))
                return self
            time.sleep(0.05)
        self.kill9()
        raise BrokerError("%s did not accept connections on %s within %.0f s\n%s"
                          % (self.name, self.bootstrap, timeout, self.log_tail()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit status (negative = signal)."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log("%s did not exit %.0f s after SIGTERM; SIGKILL" % (self.name, timeout))
                self.proc.kill()
                rc = self.proc.wait(timeout=10)
                self._note("SIGTERM ignored for %.0f s, killed" % timeout)
        self._closed()
        return rc

    def kill9(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        rc = self.proc.wait(timeout=10)
        self._note("killed with SIGKILL")
        self._closed()
        return rc

    def restart(self, kill=False, timeout=START_TIMEOUT):
        """Stop (SIGTERM or, with kill=True, SIGKILL) and start again on the same data dir and port."""
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start(timeout=timeout)

    def _note(self, text):
        try:
            with open(self.log_path, "ab") as f:
                f.write(("===== harness: %s\n" % text).encode())
        except OSError:
            pass

    def _closed(self):
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def assert_alive(self, what=""):
        if not self.running():
            raise BrokerError("%s is not running (%s), exit status %s\n%s"
                              % (self.name, what, self.proc.poll() if self.proc else None, self.log_tail()))

    # ---- logs ------------------------------------------------------------------------------------------

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no log at %s)" % self.log_path
        return "----- %s stderr (%s), last %d lines -----\n%s\n----- end -----" % (
            self.name, self.log_path, lines, "\n".join(data[-lines:]))

    def cleanup(self):
        if self.running():
            self.kill9()
        if os.environ.get("SAMSA_KEEP_DATA") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _cleanup_all():
    for b in _ALL_BROKERS:
        try:
            if b.running():
                b.kill9()
        except Exception:
            pass


atexit.register(_cleanup_all)


def dump_logs(lines=80):
    for b in _ALL_BROKERS:
        sys.stderr.write(b.log_tail(lines) + "\n")


# ---- command helpers ---------------------------------------------------------------------------------


def run(cmd, input=None, timeout=60, check=True, env=None):
    """subprocess.run with a timeout and a readable failure."""
    try:
        p = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("command timed out after %ss: %s\nstderr: %s" % (
            timeout, " ".join(map(str, cmd)), (e.stderr or b"")[-3000:].decode("utf-8", "replace")))
    if check and p.returncode != 0:
        raise AssertionError("command failed (exit %d): %s\nstderr: %s" % (
            p.returncode, " ".join(map(str, cmd)), p.stderr[-3000:].decode("utf-8", "replace")))
    return p


def wait_for(predicate, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - keep polling, report the last error
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


def assert_seq(got, expected, what="sequence"):
    """Cheap equality check for long sequences (unittest's difflib output is quadratic): first mismatch + context."""
    got = list(got)
    expected = list(expected)
    if got == expected:
        return
    n = min(len(got), len(expected))
    i = next((j for j in range(n) if got[j] != expected[j]), n)
    raise AssertionError("%s differs: len(got)=%d len(expected)=%d; first difference at index %d:\n  got      %r\n"
                         "  expected %r" % (what, len(got), len(expected), i, got[i:i + 5], expected[i:i + 5]))


# ---- raw Kafka protocol helpers (for malformed-input tests and quick liveness probes) ----------------


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_uvarint(buf, pos):
    shift = 0
    val = 0
    while True:
        b = buf[pos]
        pos += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, pos
        shift += 7


def kstring(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def compact_string(s):
    b = s.encode()
    return uvarint(len(b) + 1) + b


def request(api_key, api_version, correlation_id, body=b"", client_id="samsa-it", flexible=False):
    """A complete frame: int32 size + request header v1 (v2 when flexible) + body."""
    hdr = struct.pack(">hhi", api_key, api_version, correlation_id) + kstring(client_id)
    if flexible:
        hdr += b"\x00"  # empty tagged-field section
    msg = hdr + body
    return struct.pack(">i", len(msg)) + msg


def api_versions_request(correlation_id, version=0, client_id="samsa-it"):
    if version >= 3:
        body = compact_string("samsa-it") + compact_string("1.0") + b"\x00"
        return request(18, version, correlation_id, body, client_id, flexible=True)
    return request(18, version, correlation_id, b"", client_id)


def recv_exact(sock, n):
    """Read exactly n bytes; returns fewer only at EOF (b'' when closed before any byte)."""
    chunks = []
    got = 0
    while got < n:
        c = sock.recv(min(n - got, 1 << 20))
        if not c:
            break
        chunks.append(c)
        got += len(c)
    return b"".join(chunks)


def read_frame(sock):
    """One response frame (without the size prefix), or None at EOF. socket timeout applies."""
    hdr = recv_exact(sock, 4)
    if len(hdr) < 4:
        return None
    (size,) = struct.unpack(">i", hdr)
    if size < 0 or size > 256 << 20:
        raise AssertionError("bad response frame size %d" % size)
    body = recv_exact(sock, size)
    if len(body) < size:
        return None
    return body


def parse_api_versions(frame, version):
    """-> (correlation_id, error_code, {api_key: (min, max)}). Response header v0 always (no tag section)."""
    try:
        return _parse_api_versions(frame, version)
    except (struct.error, IndexError) as e:
        raise AssertionError("cannot parse ApiVersions v%d response (%s), %d bytes: %s"
                             % (version, e, len(frame), frame[:96].hex()))


def _parse_api_versions(frame, version):
    corr, err = struct.unpack_from(">ih", frame, 0)
    pos = 6
    apis = {}
    if version >= 3:
        n, pos = read_uvarint(frame, pos)
        n -= 1
        for _ in range(max(n, 0)):
            k, lo, hi = struct.unpack_from(">hhh", frame, pos)
            pos += 6
            tags, pos = read_uvarint(frame, pos)
            for _ in range(tags):
                _, pos = read_uvarint(frame, pos)
                sz, pos = read_uvarint(frame, pos)
                pos += sz
            apis[k] = (lo, hi)
    else:
        (n,) = struct.unpack_from(">i", frame, pos)
        pos += 4
        for _ in range(max(n, 0)):
            k, lo, hi = struct.unpack_from(">hhh", frame, pos)
            pos += 6
            apis[k] = (lo, hi)
    return corr, err, apis


def metadata(port, timeout=10.0, host="127.0.0.1"):
    """Metadata v1 for all topics from the broker on `port` (one fresh connection) ->
    {"brokers": {id: (host, port)}, "controller": id, "topics": {name: {partition: (leader, replicas, isr)}}}."""
    with connect(port, timeout, host) as s:
        s.sendall(request(3, 1, 77, struct.pack(">i", -1)))
        f = read_frame(s)
    if f is None:
        raise AssertionError("Metadata v1: connection closed without a response")
    pos = 4  # correlation id

    def i16():
        nonlocal pos
        (v,) = struct.unpack_from(">h", f, pos)
        pos += 2
        return v

    def i32():
        nonlocal pos
        (v,) = struct.unpack_from(">i", f, pos)
        pos += 4
        return v

    def string():
        nonlocal pos
        n = i16()
        if n < 0:
            return None
        v = f[pos:pos + n].decode()
        pos += n
        return v

    out = {"brokers": {}, "topics": {}}
    for _ in range(i32()):
        node = i32()
        host = string()
        port_ = i32()
        string()  # rack
        out["brokers"][node] = (host, port_)
    out["controller"] = i32()
    for _ in range(i32()):
        i16()  # error
        name = string()
        pos += 1  # is_internal
        parts = {}
        for _ in range(i32()):
            i16()
            p = i32()
            leader = i32()
            replicas = [i32() for _ in range(i32())]
            isr = [i32() for _ in range(i32())]
            parts[p] = (leader, replicas, isr)
        out["topics"][name] = parts
    return out


def connect(port, timeout=10.0, host="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def api_versions(port, version=0, timeout=10.0):
    """Fresh connection, one ApiVersions request -> (error_code, {key: (min, max)})."""
    with connect(port, timeout) as s:
        s.sendall(api_versions_request(4242, version))
        f = read_frame(s)
        if f is None:
            raise AssertionError("ApiVersions v%d: connection closed without a response" % version)
        corr, err, apis = parse_api_versions(f, version)
        if corr != 4242:
            raise AssertionError("ApiVersions v%d: correlation id %d != 4242" % (version, corr))
        return err, apis


def expect_closed(sock, timeout=10.0):
    """Assert the peer closes the connection (EOF or reset) within `timeout` without sending a response."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    except socket.timeout:
        raise AssertionError("connection still open %.0f s after a malformed request" % timeout)
    except (ConnectionResetError, BrokenPipeError):
        return
    if data:
        raise AssertionError("expected the connection to be closed, got %d bytes: %r" % (len(data), data[:64]))


# ---- test-runner entry point -------------------------------------------------------------------------


def _watchdog(seconds):
    def fire():
        sys.stderr.write("\n!!! WATCHDOG: test run exceeded %d s; thread stacks follow\n" % seconds)
        faulthandler.dump_traceback(all_threads=True)
        dump_logs()
        _cleanup_all()
        os._exit(3)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def main(timeout=540):
    """unittest.main replacement: global watchdog, broker logs printed on failure, exit status 0/1."""
    broker_binary()  # exit 77 early with a clear message when the binary is missing
    _watchdog(timeout)
    prog = unittest.main(module="__main__", exit=False, verbosity=2, buffer=False)
    result = prog.result
    ok = result.wasSuccessful()
    if not ok:
        sys.stderr.write("\n=== FAILED: %d failure(s), %d error(s); broker logs follow ===\n"
                         % (len(result.failures), len(result.errors)))
        dump_logs()
    _cleanup_all()
    if ok:
        for b in _ALL_BROKERS:
            b.cleanup()
    else:
        sys.stderr.write("data dirs and logs kept under: %s\n" % ", ".join(b.workdir for b in _ALL_BROKERS))
    sys.exit(0 if ok else 1)
