#!/usr/bin/env python3
"""Regenerates config/server.properties from the key registry (src/daemon/config_registry.cc): every key with
its one-line doc and Kafka's default, in registry order; keys whose default is empty are commented out.

    python3 scripts/gen_server_properties.py > config/server.properties
"""
import os
import re
import sys

HEADER = """\
# Samsa broker configuration (Kafka key names and defaults). Use with: samsad --config config/server.properties
# Every key is optional: these are the defaults. A multi-node quorum needs node.id, a CONTROLLER listener in
# listeners and controller.quorum.voters on every node (see docs/raft.md).
"""


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = open(os.path.join(repo, "src", "daemon", "config_registry.cc")).read()
    start = src.index("kKeys[] = {")
    body = src[start:src.index("\n};", start)]
    entries = re.findall(r'\{\s*"([^"]+)",\s*"([^"]*)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', body)
    if not entries:
        sys.exit("no keys found in config_registry.cc")
    out = HEADER
    for name, default, doc in entries:
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', doc))
        out += "\n# %s\n%s%s=%s\n" % (text, "" if default else "#", name, default)
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
