#!/usr/bin/env bash
# What lies on a lone request's path besides the event loop's own work: at one connection (wrk -c1), the scheduler's
# events for PERF_S seconds (perf record -e sched:sched_waking,sched:sched_switch -a; needs root or
# perf_event_paranoid <= -1), then, for the gateway's threads: who woke each (the client, the provider, or one of
# the gateway's own threads: an eventfd, a timer, the ledger writer), how long from wake-up to running, and how often
# the event loop left its core asleep or preempted, and for whom.
#   bench/wakeups.sh
#   SANDBOX_PORT=9920 TOLLGATE_PORT=9921 WARMUP_S=30 bench/wakeups.sh
#   REPO=/path/to/other/checkout bench/wakeups.sh
# Ports 9224/9225 (SANDBOX_PORT/TOLLGATE_PORT to change them).
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
OUT=${OUT:-/tmp/wakeups-$(basename "$(pwd)")}; rm -rf "$OUT"; mkdir -p "$OUT"
SANDBOX_PORT=${SANDBOX_PORT:-9224} TOLLGATE_PORT=${TOLLGATE_PORT:-9225}
WARMUP_S=${WARMUP_S:-20} PERF_S=${PERF_S:-5}
source bench/lib.sh
start_sandbox_and_gateway
TGPID=$(pgrep -f -- "--config $OUT/tollgate.yaml" | while read -r p; do [ "$(readlink /proc/$p/exe)" != "/usr/bin/bash" ] && echo "$p"; done | tail -1)
# warmed up at 16 connections first, as bench/load.sh does: one connection alone leaves much of the path interpreted
wrk -t2 -c16 -d"${WARMUP_S}s" -s bench/chat.lua -H "authorization: Bearer tg-bench" "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" >/dev/null
wrk -t1 -c1 -d"$((PERF_S + 10))s" -s bench/chat.lua -H "authorization: Bearer tg-bench" "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" >"$OUT/wrk" &
WRK_PID=$!
sleep 5
for t in /proc/$TGPID/task/*; do echo "${t##*/} $(tr ' ' _ <"$t/comm")"; done >"$OUT/threads"
perf record -q -e sched:sched_waking -e sched:sched_switch -a -o "$OUT/perf.data" -- sleep "$PERF_S" 2>/dev/null
wait "$WRK_PID"
grep RESULT "$OUT/wrk"
perf script -i "$OUT/perf.data" -F comm,tid,time,event,trace 2>/dev/null >"$OUT/sched.txt"
python3 - "$OUT/threads" "$OUT/sched.txt" <<'PY'
import collections, re, sys
threads = dict(l.split() for l in open(sys.argv[1]))
group = lambda name: name.rstrip('0123456789#-_')
event = re.compile(r'\s*(.*?)\s+(\d+)\s+([\d.]+):\s+sched:(\w+):\s+(.*)')
wakers, woken, pending, latency = collections.Counter(), collections.Counter(), {}, collections.defaultdict(list)
on, asleep, preempted, by = {}, collections.Counter(), collections.Counter(), collections.Counter()
loops = {t for t, n in threads.items() if n.startswith('vert.x-eventloo')}
def who(tid, comm):
    return group(threads[tid]) + ' (gateway)' if tid in threads else comm
for line in open(sys.argv[2]):
    m = event.match(line)
    if not m: continue
    comm, tid, ts, kind, rest = m.groups(); ts = float(ts)
    if kind == 'sched_waking':
        target = re.search(r' pid=(\d+)', rest).group(1)
        if target in threads:
            woken[group(threads[target])] += 1
            wakers[(group(threads[target]), who(tid, comm))] += 1
            if target in loops: pending[target] = (ts, who(tid, comm))
    else:
        prev = re.search(r'prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+)', rest)
        nxt = re.search(r'next_comm=(.*?) next_pid=(\d+)', rest)
        if prev.group(1) in on:
            on.pop(prev.group(1))
            if prev.group(2).startswith('R'):
                preempted[prev.group(1)] += 1; by[who(nxt.group(2), nxt.group(1))] += 1
            else:
                asleep[prev.group(1)] += 1
        if nxt.group(2) in loops:
            on[nxt.group(2)] = ts
            if nxt.group(2) in pending:
                t0, waker = pending.pop(nxt.group(2)); latency[waker].append((ts - t0) * 1e6)
print("wake-ups of the gateway's threads, by waker:")
for (thread, waker), n in wakers.most_common(12): print(f"  {n:7d} {thread} <- {waker}")
print("event loops, from wake-up to running (us):")
for waker, v in sorted(latency.items(), key=lambda kv: -len(kv[1])):
    v.sort(); n = len(v)
    print(f"  woken by {waker}: {n} times, p50 {v[n // 2]:.1f} p90 {v[int(n * .9)]:.1f} p99 {v[int(n * .99)]:.1f} mean {sum(v) / n:.1f}")
print(f"event loops left their core {sum(asleep.values())} times asleep and {sum(preempted.values())} times preempted, by:",
      ", ".join(f"{k} {n}" for k, n in by.most_common(6)))
PY
