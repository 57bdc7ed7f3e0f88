#!/usr/bin/env bash
# Where a proxy's CPU goes, against nginx: user and system time per request of the proxy process (from
# /proc/PID/stat) and TCP segments and bytes per request (nstat, machine-wide), Tollgate and nginx (1 worker, keepalive
# upstream) in front of the same sandbox, alternating ROUNDS times: WARMUP_S seconds of load, then MEASURE_S counted.
#   bench/split.sh
#   CONNS=1 ROUNDS=3 bench/split.sh
#   TOLLGATE_EVENT_LOOPS=1 bench/split.sh
# Needs wrk, nginx and nstat (iproute2). Ports: BASE_PORT (sandbox) and the next two (Tollgate, nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-16} ROUNDS=${ROUNDS:-2} WARMUP_S=${WARMUP_S:-10} MEASURE_S=${MEASURE_S:-5}
BASE_PORT=${BASE_PORT:-9301}
SANDBOX_PORT=$BASE_PORT TOLLGATE_PORT=$((BASE_PORT + 1)) NGINX_PORT=$((BASE_PORT + 2))
OUT=${OUT:-/tmp/split-$(basename "$(pwd)")}; rm -rf "$OUT"; mkdir -p "$OUT"
for tool in wrk nginx nstat; do command -v $tool >/dev/null || { echo "split.sh: needs $tool" >&2; exit 1; }; done
./tollgate --version >/dev/null   # builds the jar if needed
source bench/lib.sh
start_sandbox_and_gateway
start_nginx
wait_port "$NGINX_PORT"
worker=$(pgrep -P "$NGINX_PID")   # the one worker: it does the proxying
threads=$([ "$CONNS" -lt 2 ] && echo 1 || echo 2)

echo "| proxy | conns | requests | user µs/request | system µs/request | TCP segments out/request | bytes out/request |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for _ in $(seq 1 "$ROUNDS"); do
  for target in tollgate nginx; do
    if [ $target = nginx ]; then port=$NGINX_PORT pid=$worker key=sk-sandbox; else port=$TOLLGATE_PORT pid=$TOLLGATE_PID key=tg-bench; fi
    url=http://127.0.0.1:$port/v1/chat/completions
    wrk -t$threads -c"$CONNS" -d"${WARMUP_S}s" -s bench/chat.lua -H "authorization: Bearer $key" "$url" >/dev/null
    read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
    nstat -n   # resets nstat's history: the next call counts from here
    n=$(wrk -t$threads -c"$CONNS" -d"${MEASURE_S}s" -s bench/chat.lua -H "authorization: Bearer $key" "$url" | awk '/requests in/ {print $1}')
    read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
    nstat | awk -v t=$target -v c="$CONNS" -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" '
      $1 == "TcpOutSegs" {seg = $2} $1 == "IpExtOutOctets" {oct = $2}
      END {printf "| %s | %d | %d | %.1f | %.1f | %.2f | %.0f |\n", t, c, n, u * 1e6 / hz / n, s * 1e6 / hz / n, seg / n, oct / n}'
  done
done
