#!/usr/bin/env python3
"""CPU time and sleeps per client request, by thread group, between two snapshots of a process's threads.

Snapshots are lines "TID NAME CPU_NS WAIT_NS VOLUNTARY_SWITCHES" (from /proc/PID/task/TID/schedstat, in ns, so short
runs are measured to the microsecond rather than in 10 ms ticks). WAIT is the time the thread was runnable but waited
for a core (the run queue): what other threads' work cost it in latency.
  thread_split.py A B REQUESTS            -> one line: group=us_per_req/sleeps_per_req/wait_us_per_req ...
  thread_split.py --median RAW            -> the medians per target, connections and group of lines
                                             "target conns round group us sleeps wait_us" (RAW as its callers keep it)
"""
import collections
import statistics
import sys

GROUPS = ("eventloop", "shadow-lane", "shadow-redactor", "tollgate-shadow", "ledger", "gc", "jit", "other", "sandbox")


def group(name):
    if name.startswith("sandbox:"):  # the production sandbox's threads, snapshot beside the gateway's
        return "sandbox"
    if name in ("shadow-lane", "shadow-redactor", "tollgate-shadow"):
        return name
    if "eventloo" in name:
        return "eventloop"
    if "ledger" in name:
        return "ledger"
    if "GC" in name or "G1" in name:
        return "gc"
    if "Compiler" in name:
        return "jit"
    return "other"


def load(path):
    out = {}
    for line in open(path):
        tid, name, ns, wait, sleeps = line.split()
        out[(tid, name)] = (int(ns), int(wait), int(sleeps))
    return out


def split(a, b, requests):
    cpu, waits, sleeps = collections.Counter(), collections.Counter(), collections.Counter()
    for key, (ns, wait, sl) in b.items():  # by thread id: a thread that starts or ends in between must not shift the others
        ns0, wait0, sl0 = a.get(key, (0, 0, 0))
        cpu[group(key[1])] += ns - ns0
        waits[group(key[1])] += wait - wait0
        sleeps[group(key[1])] += sl - sl0
    return {g: (cpu[g] / 1e3 / requests, sleeps[g] / requests, waits[g] / 1e3 / requests) for g in GROUPS}


def medians(raw):
    rows = collections.defaultdict(lambda: ([], [], []))
    order = []
    for line in open(raw):
        target, conns, _round, grp, us, sl, wait = line.split()
        key = (target, conns)
        if key not in order:
            order.append(key)
        rows[key + (grp,)][0].append(float(us))
        rows[key + (grp,)][1].append(float(sl))
        rows[key + (grp,)][2].append(float(wait))
    print("| target | conns | " + " | ".join(GROUPS) + " | gateway total |")
    print("|---|---:|" + "---:|" * (len(GROUPS) + 1))
    for target, conns in order:
        cells, total = [], 0.0
        for g in GROUPS:
            us, sl, wait = rows[(target, conns, g)]
            if not us:
                cells.append("")
                continue
            mu = statistics.median(us)
            total += mu if g != "sandbox" else 0
            cells.append(f"{mu:.1f} / {statistics.median(sl):.2f} / {statistics.median(wait):.1f}")
        print(f"| {target} | {conns} | " + " | ".join(cells) + f" | {total:.1f} µs |")


if __name__ == "__main__":
    if sys.argv[1] == "--median":
        medians(sys.argv[2])
    else:
        result = split(load(sys.argv[1]), load(sys.argv[2]), max(1, int(sys.argv[3])))
        print(" ".join(f"{g}={us:.2f}/{sl:.3f}/{wait:.2f}" for g, (us, sl, wait) in result.items()))
