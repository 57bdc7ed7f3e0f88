#!/usr/bin/env bash
# Memory over a long run: 32 connections through Tollgate (metering and ledger on) for MINUTES minutes, sampling
# the gateway's resident memory and its live heap (after a full GC) every SAMPLE seconds (30 by default). Growth would
# show as a rising live heap; a flat one with a flat RSS means nothing accumulates per request. RSS is split into
# anonymous memory (heap, native allocations) and file pages (mapped jar, DuckDB library, journal segments); with
# -XX:NativeMemoryTracking=summary in GATEWAY_JAVA_OPTS the JVM's own committed memory is sampled too (nmt_mib), and
# the NMT difference between the first sample and the end is kept in nmt-diff.txt.
#
#   bench/soak.sh            # 5 minutes
#   MINUTES=30 SAMPLE=60 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-5}
SAMPLE=${SAMPLE:-30}
CONNS=${CONNS:-32}
OUT=${OUT:-bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ)}
SANDBOX_PORT=${SANDBOX_PORT:-9111} TOLLGATE_PORT=${TOLLGATE_PORT:-9112}   # other ports where another run holds these
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
JCMD="$(./tollgate --java-home)/bin/jcmd"   # also builds the jar if needed

source bench/lib.sh
start_sandbox_and_gateway
GW=$TOLLGATE_PID

wrk -t2 -c$CONNS -d$((MINUTES * 60))s --timeout 10s -s bench/chat.lua -H "authorization: Bearer tg-bench" \
    http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions >"$OUT/wrk.txt" & WRK=$!

GW=$(pgrep -P $GW java || echo $GW)   # the launcher execs java; in case it did not, its child
nmt=0; "$JCMD" $GW VM.native_memory summary 2>/dev/null | grep -q '^Total:' && nmt=1
echo "second rss_mib anon_mib file_mib live_heap_mib nmt_committed_mib" | tee "$OUT/memory.txt"
start=$(date +%s)
while kill -0 $WRK 2>/dev/null; do
  sleep "$SAMPLE"
  kill -0 $WRK 2>/dev/null || break
  "$JCMD" $GW GC.run >/dev/null
  heap=$("$JCMD" $GW GC.heap_info | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+')
  read -r rss anon file < <(awk '/^Rss:/ {r=$2} /^Anonymous:/ {a=$2} END {print r, a, r - a}' /proc/$GW/smaps_rollup)
  committed=-
  if [ $nmt = 1 ]; then
    [ -f "$OUT/nmt-first.txt" ] || { "$JCMD" $GW VM.native_memory baseline >/dev/null; "$JCMD" $GW VM.native_memory summary >"$OUT/nmt-first.txt"; }
    committed=$("$JCMD" $GW VM.native_memory summary | sed -n 's/^Total: reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1/p')
    committed=$(( committed / 1024 ))
  fi
  echo "$(( $(date +%s) - start )) $(( rss / 1024 )) $(( anon / 1024 )) $(( file / 1024 )) $(( heap / 1024 )) $committed" | tee -a "$OUT/memory.txt"
done
[ $nmt = 1 ] && "$JCMD" $GW VM.native_memory summary.diff >"$OUT/nmt-diff.txt" || true
wait $WRK || true
grep -E 'Requests/sec|requests in|Non-2xx|Socket errors' "$OUT/wrk.txt" | tee -a "$OUT/memory.txt"
curl -s -H "authorization: Bearer bench-admin" "http://127.0.0.1:$TOLLGATE_PORT/admin/spend?group_by=team" | tee "$OUT/spend.json"; echo
echo "results in $OUT"
