#!/usr/bin/env python3
"""bench/tail.sh's summary: the gateway's young pauses in the measured window (GC log), and its event loops' run-queue
waits attributed to what ran on their CPU meanwhile (perf sched timehist).
  tail_blame.py OUT GATEWAY_PID SANDBOX_PID START_MS END_MS
"""
import bisect
import collections
import datetime
import re
import statistics
import sys

out, gateway, sandbox, start_ms, end_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

# Young pauses: "[utctime] GC(n) Pause Young ... 4.601ms" and, at debug, "GC(n) ... Copied Bytes: ... Sum: N"
pauses, copied = {}, {}
for line in open(f"{out}/gc.log"):
    m = re.match(r"\[(\S+)\] GC\((\d+)\) Pause Young.* ([\d.]+)ms$", line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000
        if start_ms <= t <= end_ms:
            pauses[m.group(2)] = float(m.group(3))
    m = re.search(r"GC\((\d+)\)\s+Copied Bytes:.*Sum: (\d+)", line)
    if m:
        copied[m.group(1)] = int(m.group(2))
secs = (end_ms - start_ms) / 1000
if pauses:
    d = sorted(pauses.values())
    mb = [copied[g] / 1e6 for g in pauses if g in copied]
    print(f"young pauses: {len(d) / secs:.2f} a second, {sum(d) / secs:.1f} ms stopped a second; "
          f"length median {statistics.median(d):.1f} ms, max {d[-1]:.1f} ms; copied median "
          f"{statistics.median(mb) if mb else 0:.2f} MB a pause")
else:
    print("young pauses: none in the measured window")

# perf sched timehist lines: time [cpu] comm[tid/pid] wait sch_delay run (ms); "<idle>" has no tid.
line_re = re.compile(r"^\s*([\d.]+)\s+\[(\d+)\]\s+(.+?)\[(\d+)(?:/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")


def group(name, pid):
    if pid == gateway:
        if name.startswith("vert.x-eventloo"):
            return "gateway: event loop"
        if name.startswith("tollgate-ledger"):
            return "gateway: ledger writer"
        if name.startswith(("G1", "GC")):
            return "gateway: GC"
        if name.startswith(("C1", "C2")):
            return "gateway: JIT"
        return "gateway: other threads"
    if pid == sandbox:
        return "sandbox"
    if name.startswith("wrk"):
        return "wrk"
    return "other processes"


runs = collections.defaultdict(list)  # cpu -> [(start, end, group)] in seconds
waits = []  # (cpu, from, to, ms) of the gateway's event loops
for line in open(f"{out}/timehist.txt"):
    m = line_re.match(line)
    if not m:
        continue
    t, cpu, name, pid = float(m.group(1)), int(m.group(2)), m.group(3), m.group(5) or m.group(4)
    delay, run = float(m.group(7)), float(m.group(8))
    g = group(name, pid)
    runs[cpu].append((t - run / 1e3, t, g))
    if g == "gateway: event loop" and delay > 0:
        waits.append((cpu, t - run / 1e3 - delay / 1e3, t - run / 1e3, delay))
for c in runs:
    runs[c].sort()
if not waits:
    sys.exit("no run-queue waits of the gateway's event loops recorded (perf sched: permissions, tracepoints?)")
blame, blame_long = collections.Counter(), collections.Counter()
total = total_long = 0.0
for cpu, a, b, delay in waits:
    iv = runs[cpu]
    i = max(0, bisect.bisect_left(iv, (a - 1,)) - 1)
    held = collections.Counter()
    while i < len(iv) and iv[i][0] < b:
        s, e, g = iv[i]
        if min(e, b) > max(s, a):
            held[g] += min(e, b) - max(s, a)
        i += 1
    blame.update(held)
    total += sum(held.values())
    if delay >= 1.0:
        blame_long.update(held)
        total_long += sum(held.values())
span = max(e for c in runs for _, e, _ in runs[c]) - min(s for c in runs for s, _, _ in runs[c])
print(f"event loops' run-queue waits: {len(waits) / span:.0f} a second, {total * 1e3 / span:.1f} ms a second; "
      f"waits of 1 ms or more: {total_long * 1e3 / span:.1f} ms a second")
print("what held their CPU meanwhile    all waits   waits >= 1 ms")
for g, v in blame.most_common():
    print(f"  {g:30s} {v / total * 100:8.1f}% {blame_long[g] / total_long * 100 if total_long else 0:14.1f}%")
