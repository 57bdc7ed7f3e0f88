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
./tollgate --version >/dev/null
JCMD=$(dirname "$(readlink -f "$(command -v java)")")/jcmd
for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do [ -x "$d/bin/jcmd" ] && JCMD=$d/bin/jcmd && break; done

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
wait_port() { for _ in $(seq 1 150); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; exit 1; }

./tollgate sandbox --port $SANDBOX_PORT --output-tokens 16 --event-loops 1 >"$OUT/sandbox.log" 2>&1 & pids+=($!)
cat >"$OUT/tollgate.yaml" <<YAML
admin: {token: bench-admin}
providers:
  sandbox: {type: openai, base_url: "http://127.0.0.1:$SANDBOX_PORT/v1", api_key: sk-sandbox}
models:
  - {name: gpt-4o-mini, provider: sandbox}
keys:
  - {key: tg-bench, name: bench, tags: {team: bench}}
YAML
./tollgate serve --config "$OUT/tollgate.yaml" --port $TOLLGATE_PORT --data "$OUT/data" >"$OUT/tollgate.log" 2>&1 & pids+=($!)
GW=$!
wait_port $SANDBOX_PORT; wait_port $TOLLGATE_PORT

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
