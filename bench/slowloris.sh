#!/usr/bin/env bash
# Slow clients (slowloris): real clients' latency through the gateway before and while SLOW connections (from two
# other loopback addresses, 127.0.0.2 and 127.0.0.3) send their request head a line every 2 s and never finish it.
# The gateway's defences (server.header_timeout_ms, max_connections_per_client, max_connections) keep what they
# can hold bounded; the figure to watch is the real clients' p50/p99 and errors, and that /health answers.
#
#   bench/slowloris.sh                     # SLOW=20000 DURATION=20 CONNS=16
#   SLOW=20000 DURATION=30 bench/slowloris.sh
#
# Needs wrk (apt-get install wrk). Each slow-client process holds at most SLOW/2 sockets (the per-process file limit).
set -euo pipefail
cd "$(dirname "$0")/.."
SLOW=${SLOW:-20000}
DURATION=${DURATION:-20}
CONNS=${CONNS:-16}
OUT=${OUT:-bench/results/slowloris-$(date -u +%Y%m%dT%H%M%SZ)}
SANDBOX_PORT=9121 TOLLGATE_PORT=9122
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
command -v wrk >/dev/null || { echo "slowloris.sh: needs wrk" >&2; exit 1; }
JAVA="$(./tollgate --java-home)/bin/java"   # also builds the gateway's jar if needed
JAVA_HOME="$(dirname "$(dirname "$JAVA")")" ./mvnw -B -q -Dmaven.test.skip=true package -pl bench -am
CP="bench/target/classes:$(cat bench/target/classpath.txt)"

source bench/lib.sh
start_sandbox_and_gateway

real() { # label
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s bench/chat.lua -H "authorization: Bearer tg-bench" \
    "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" | grep '^RESULT' | sed "s/^RESULT/$1/"
}

echo "warming up…" >&2
real warmup >/dev/null
real before | tee "$OUT/result.txt"
for from in 127.0.0.2 127.0.0.3; do
  "$JAVA" -cp "$CP" dev.tollgate.bench.SlowClients "$TOLLGATE_PORT" "$from" $((SLOW / 2)) $((DURATION + 15)) >"$OUT/slow-$from.txt" 2>&1 & pids+=($!)
done
sleep 5   # let them connect
real during | tee -a "$OUT/result.txt"
health=$(curl -s -o /dev/null -w '%{http_code} %{time_total}s' "http://127.0.0.1:$TOLLGATE_PORT/health")
echo "health during: $health" | tee -a "$OUT/result.txt"
wait "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
grep -h 'SLOW opened\|SLOW done' "$OUT"/slow-*.txt | tee -a "$OUT/result.txt"
echo "results in $OUT" >&2
