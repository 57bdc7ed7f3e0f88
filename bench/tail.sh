#!/usr/bin/env bash
# Where the p99 at 16 connections comes from (issue 17): the gateway under bench/load.sh's load (wrk, 16 connections,
# the sandbox upstream), a 20 s (WARMUP_S) warm-up, then a 12 s measured run (DURATION) during which
#  - the GC log gives the young pauses: how many a second, how long, and the bytes each copied (what survived: the
#    rows waiting for the ledger writer's batch, the requests in flight);
#  - perf sched records 4 s (SCHED_S): each time one of the gateway's event loops waited in the run queue, what held
#    its CPU meanwhile (the other event loop, the sandbox, wrk, the ledger writer, GC, JIT, other processes), for all
#    waits and for those of 1 ms or more (the ones a p99 of a few ms is made of).
# A stopped-the-world pause is not a run-queue wait: the event loops are parked at the safepoint meanwhile, so the GC
# log counts it, not perf. On a shared machine, "other processes" is the other work on it.
#   bench/tail.sh
#   GATEWAY_JAVA_OPTS=-XX:+UseParallelGC bench/tail.sh     # JVM flags for the gateway
#   REPO=/path/to/other/checkout bench/tail.sh
# Needs wrk and perf (linux-tools, the sched tracepoints; run as root). Ports 9226/9227 (SANDBOX_PORT/TOLLGATE_PORT).
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
OUT=${OUT:-/tmp/tail-$(basename "$(pwd)")}; rm -rf $OUT; mkdir -p $OUT
SANDBOX_PORT=${SANDBOX_PORT:-9226} TOLLGATE_PORT=${TOLLGATE_PORT:-9227}
DURATION=${DURATION:-12} SCHED_S=${SCHED_S:-4}
for tool in wrk perf; do command -v $tool >/dev/null || { echo "tail.sh: needs $tool" >&2; exit 1; }; done
GATEWAY_JAVA_OPTS="${GATEWAY_JAVA_OPTS:-} -Xlog:gc,gc+phases=debug:file=$OUT/gc.log:utctime"
source bench/lib.sh
start_sandbox_and_gateway
SANDBOX_PID=$(pgrep -f -- "sandbox --port $SANDBOX_PORT" | while read p; do [ "$(readlink /proc/$p/exe)" != "/usr/bin/bash" ] && echo $p; done | tail -1)
load() { wrk -t2 -c16 -d${1}s --timeout 10s -s bench/chat.lua -H "authorization: Bearer tg-bench" http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions; }
load ${WARMUP_S:-20} >/dev/null
start_ms=$(date +%s%3N)
load $DURATION >$OUT/wrk & wrk_pid=$!
sleep $(( (DURATION - SCHED_S) / 2 ))
perf sched record -o $OUT/sched.data -- sleep $SCHED_S >/dev/null 2>&1
wait $wrk_pid
end_ms=$(date +%s%3N)
grep RESULT $OUT/wrk
perf sched timehist -i $OUT/sched.data 2>/dev/null >$OUT/timehist.txt
python3 bench/tail_blame.py $OUT $TOLLGATE_PID $SANDBOX_PID $start_ms $end_ms | tee $OUT/summary.txt
