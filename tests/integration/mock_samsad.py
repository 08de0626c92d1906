#!/usr/bin/python3
"""Stand-in for samsad, used only to self-check the integration tests: SAMSAD=tests/integration/mock_samsad.py.

Runs librdkafka's in-process mock cluster (test.mock.num.brokers=1, via confluent-kafka) and forwards the requested
listener port to it, so bootstrap works; clients then talk to the mock broker's own advertised port. No persistence
(restart tests fail by design), CreateTopics/DeleteTopics are only as complete as librdkafka 2.0.2's mock, and malformed
input handling is the mock's. Accepts the samsad command line: [--config FILE] [--override key=value]...
"""

import signal
import socket
import sys
import threading

import confluent_kafka


def main():
    overrides = {}
    args = sys.argv[1:]
    i = 0
    while i < len(args):
        if args[i] == "--override":
            k, _, v = args[i + 1].partition("=")
            overrides[k] = v
            i += 2
        elif args[i] == "--config":
            i += 2
        else:
            sys.exit("mock_samsad: unknown argument %r" % args[i])
    listener = overrides["listeners"].split("://", 1)[1]
    host, port = listener.rsplit(":", 1)
    conf = {"test.mock.num.brokers": 1, "log_level": 3}
    p = confluent_kafka.Producer(conf)
    md = p.list_topics(timeout=10)
    b = list(md.brokers.values())[0]
    target = (b.host, b.port)
    sys.stderr.write("mock_samsad: mock broker %s:%d, forwarding %s:%s\n" % (b.host, b.port, host, port))
    sys.stderr.flush()

    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(128)

    def pump(a, b_):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b_.sendall(d)
        except OSError:
            pass
        for s in (a, b_):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve():
        while True:
            c, _ = srv.accept()
            try:
                u = socket.create_connection(target)
            except OSError:
                c.close()
                continue
            threading.Thread(target=pump, args=(c, u), daemon=True).start()
            threading.Thread(target=pump, args=(u, c), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        p.poll(0)
    sys.stderr.write("mock_samsad: SIGTERM, exiting\n")


if __name__ == "__main__":
    main()
