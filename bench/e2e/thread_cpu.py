#!/usr/bin/env python3
"""Per-thread CPU of a process while a command runs (issue 5, threading model).

usage: thread_cpu.py PID -- COMMAND...    runs COMMAND, prints JSON: wall seconds, and for every thread of PID and for
the COMMAND's process tree (children's rusage) the CPU seconds (user+system) and share of one core over the run, and the
whole machine's /proc/stat split (percent of all CPUs: user, system, softirq, idle, steal...).
Reads /proc/PID/task/*/stat (utime, stime; clock ticks) before and after; no profiler needed.
"""
import json, os, resource, subprocess, sys, time

def tasks(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            s = open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        out[int(t)] = (int(rest[11]), int(rest[12]))  # utime, stime (fields 14, 15)
    return out

def machine():
    f = open("/proc/stat").readline().split()[1:]
    return [int(x) for x in f]  # user nice system idle iowait irq softirq steal

pid = int(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
hz = os.sysconf("SC_CLK_TCK")
before, m0, t0 = tasks(pid), machine(), time.monotonic()
ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
proc = subprocess.run(cmd, stdout=subprocess.PIPE)
t1, after, m1 = time.monotonic(), tasks(pid), machine()
ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
wall = t1 - t0
threads = {}
for t, (u, s) in after.items():
    u0, s0 = before.get(t, (0, 0))
    threads[t] = {"user_s": (u - u0) / hz, "sys_s": (s - s0) / hz,
                  "core_share": round(((u - u0) + (s - s0)) / hz / wall, 3)}
client = {"user_s": ru1.ru_utime - ru0.ru_utime, "sys_s": ru1.ru_stime - ru0.ru_stime}
client["core_share"] = round((client["user_s"] + client["sys_s"]) / wall, 3)
d = [b - a for a, b in zip(m0, m1)]
tot = sum(d[:8]) or 1
names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
mach = {n: round(100 * v / tot, 1) for n, v in zip(names, d[:8])}  # % of all CPUs
print(json.dumps({"wall_s": round(wall, 2), "threads": threads, "client": client, "machine_pct": mach,
                  "client_stdout": proc.stdout.decode().strip()}))
sys.exit(proc.returncode)
