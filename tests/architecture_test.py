#!/usr/bin/env python3
"""The architecture, checked (docs/architecture.md, "Libraries, their one job, and what each may use").

1. Each library's folder (src/<lib>, include/samsa/<lib>) includes only the libraries its row allows: lower layers
   never include upper ones (the replica layer never includes the server, the codec never a partition, ...). The
   pure part of src/cluster (the samsa_cluster library: records, image, controller rules) uses no Asio and no Raft.
2. No source file is over 800 lines (generated code lives in the build directory and is not checked).

    python3 tests/architecture_test.py [REPO_ROOT]
"""
import os
import re
import sys

ALLOWED = {
    'base': set(),
    'records': {'base'},
    'protocol': {'base'},
    'config': {'base'},
    'storage': {'base', 'records'},
    'raft': {'base', 'storage'},
    'cluster': {'base', 'config', 'protocol', 'raft'},
    'client': {'base', 'protocol'},
    'replica': {'base', 'client', 'cluster', 'config', 'protocol', 'records', 'storage'},
    'group': {'base', 'protocol', 'records', 'storage'},
    'server': {'base', 'client', 'cluster', 'config', 'group', 'protocol', 'raft', 'records', 'replica', 'storage'},
    'daemon': {'base', 'client', 'cluster', 'config', 'group', 'protocol', 'raft', 'records', 'replica', 'server',
               'storage'},
    'cli': {'base', 'client', 'config', 'protocol', 'records'},
}
MAX_LINES = 800
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)


def files_under(root, exts):
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(exts):
                yield os.path.join(d, n)


def pure_cluster_sources(repo):
    text = open(os.path.join(repo, 'src/cluster/CMakeLists.txt')).read()
    m = re.search(r'samsa_library\(cluster\s+SOURCES(.*?)DEPS', text, re.S)
    return [os.path.join(repo, 'src/cluster', s) for s in m.group(1).split()] if m else []


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..'))
    problems = []
    for lib, allowed in ALLOWED.items():
        for root in (os.path.join(repo, 'src', lib), os.path.join(repo, 'include', 'samsa', lib)):
            for path in files_under(root, ('.h', '.cc')):
                for inc in INCLUDE.findall(open(path).read()):
                    m = re.match(r'samsa/([a-z_]+)/', inc)
                    if m and m.group(1) != lib and m.group(1) not in allowed:
                        problems.append(f'{os.path.relpath(path, repo)} includes {inc}: {lib} may not use {m.group(1)}')
    for path in pure_cluster_sources(repo):
        for inc in INCLUDE.findall(open(path).read()):
            if inc.startswith(('boost/asio', 'samsa/raft/')):
                problems.append(f'{os.path.relpath(path, repo)} includes {inc}: samsa_cluster is pure (no I/O)')
    for top in ('src', 'include', 'tests', 'bench', 'scripts'):
        for path in files_under(os.path.join(repo, top), ('.h', '.cc', '.py', '.sh', '.js')):
            if '/node_modules/' in path or '/corpus/' in path:
                continue
            with open(path, errors='replace') as f:
                n = sum(1 for _ in f)
            if n > MAX_LINES:
                problems.append(f'{os.path.relpath(path, repo)} has {n} lines (at most {MAX_LINES}: split it)')
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} architecture rule(s) broken (docs/architecture.md)')
        return 1
    print('architecture: every library includes only what it may, no file over 800 lines')
    return 0


if __name__ == '__main__':
    sys.exit(main())
