#!/usr/bin/env bash
# Memory over a long run: 32 connections through Tollgate (metering and ledger on) for MINUTES minutes, sampling
# the gateway's resident memory and its live heap (after a full GC) every 30 s. Growth would show as a rising
# live heap; a flat one with a flat RSS means nothing accumulates per request.
#
#   bench/soak.sh            # 5 minutes
#   MINUTES=10 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-5}
CONNS=${CONNS:-32}
OUT=${OUT:-bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ)}
SANDBOX_PORT=9111 TOLLGATE_PORT=9112
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
JCMD="$(./tollgate --java-home)/bin/jcmd"   # also builds the jar if needed

source bench/lib.sh
start_sandbox_and_gateway
GW=$TOLLGATE_PID

wrk -t2 -c$CONNS -d$((MINUTES * 60))s --timeout 10s -s bench/chat.lua -H "authorization: Bearer tg-bench" \
    http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions >"$OUT/wrk.txt" & WRK=$!

echo "second rss_mib live_heap_mib" | tee "$OUT/memory.txt"
start=$(date +%s)
while kill -0 $WRK 2>/dev/null; do
  sleep 30
  kill -0 $WRK 2>/dev/null || break
  "$JCMD" $GW GC.run >/dev/null
  heap=$("$JCMD" $GW GC.heap_info | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+')
  rss=$(ps -o rss= -p $GW)
  echo "$(( $(date +%s) - start )) $(( rss / 1024 )) $(( heap / 1024 ))" | tee -a "$OUT/memory.txt"
done
wait $WRK || true
grep -E 'Requests/sec|requests in|Non-2xx|Socket errors' "$OUT/wrk.txt" | tee -a "$OUT/memory.txt"
curl -s -H "authorization: Bearer bench-admin" "http://127.0.0.1:$TOLLGATE_PORT/admin/spend?group_by=team" | tee "$OUT/spend.json"; echo
echo "results in $OUT"
