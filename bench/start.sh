#!/usr/bin/env bash
# Start-up: the time from `./tollgate serve --config …` (the launcher's own checks included) to the first 200 answer
# of a chat completion through the sandbox provider (`./tollgate sandbox`, started once before), on a fresh data
# directory and on an existing one (a ledger filled by FILL_S seconds of load), median of RUNS runs each. Each run
# also gives the gateway's CPU time until that answer and the stages that serve logs once it listens ("started in").
#   bench/start.sh
#   RUNS=7 FILL_S=10 bench/start.sh
#   REPO=/path/to/other/checkout bench/start.sh        # another build (a "before")
#   TOLLGATE_JAVA_OPTS=-XX:+AlwaysPreTouch bench/start.sh   # JVM flags for the gateway (here: the heap touched at start)
# A build is not part of it: the jars are built first (./tollgate --version); nor is serve's start-up cache (JDK 25+):
# the fill run below is the first serve, which prepares it when the build is new. Ports: BASE_PORT (sandbox) and the next.
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
RUNS=${RUNS:-5}
FILL_S=${FILL_S:-5}
BASE_PORT=${BASE_PORT:-9231}
SANDBOX_PORT=${SANDBOX_PORT:-$BASE_PORT} TOLLGATE_PORT=${TOLLGATE_PORT:-$((BASE_PORT + 1))}
OUT=${OUT:-/tmp/start-$(basename "$(pwd)")}; rm -rf "$OUT"; mkdir -p "$OUT"
./tollgate --version >/dev/null   # builds the jars if needed: a build is not start-up

for port in "$SANDBOX_PORT" "$TOLLGATE_PORT"; do
  (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && { echo "start.sh: port $port is taken (BASE_PORT to choose others)" >&2; exit 1; }
done
pids=() GATEWAY_PID=""
trap 'for p in "${pids[@]}" $GATEWAY_PID; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
./tollgate sandbox --port "$SANDBOX_PORT" --output-tokens 16 --event-loops 1 >"$OUT/sandbox.log" 2>&1 & pids+=($!)
cat >"$OUT/tollgate.yaml" <<YAML
admin: {token: bench-admin}
providers:
  sandbox: {type: openai, base_url: "http://127.0.0.1:$SANDBOX_PORT/v1", api_key: sk-sandbox}
keys:
  - {key: tg-bench, name: bench, tags: {team: bench}}
models:
  - {name: gpt-4o-mini, provider: sandbox}
YAML
for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/$SANDBOX_PORT) 2>/dev/null && break; sleep 0.1; done

chat() {
  curl -s -o /dev/null -w '%{http_code}' -H 'authorization: Bearer tg-bench' -H 'content-type: application/json' \
    -d '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}' \
    "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" 2>/dev/null || true
}

# One start: sets TOTAL_MS and CPU_MS, and leaves the gateway running (GATEWAY_PID) with its log in $OUT/serve.log.
start_once() {
  local data=$1 t0 t1 code
  t0=$(date +%s%N)
  ./tollgate serve --config "$OUT/tollgate.yaml" --port "$TOLLGATE_PORT" --data "$data" >"$OUT/serve.log" 2>&1 &
  GATEWAY_PID=$!
  until [ "$(chat)" = 200 ]; do
    kill -0 $GATEWAY_PID 2>/dev/null || { echo "start.sh: serve ended:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  # the CPU the gateway used until then (every thread: JIT and GC included), from /proc in clock ticks
  local ticks; ticks=$(awk '{print $14 + $15}' /proc/$GATEWAY_PID/stat)
  TOTAL_MS=$(( (t1 - t0) / 1000000 )) CPU_MS=$(( ticks * 1000 / $(getconf CLK_TCK) ))
}
stop_gateway() { kill "$GATEWAY_PID"; wait "$GATEWAY_PID" 2>/dev/null || true; }

# the stages serve logs ("started in N ms: launcher …, JVM …, …"), as they are
stages() { grep -o 'started in .*' "$OUT/serve.log" | head -1 || echo "(no stage line)"; }

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

# the existing ledger: one run fills it, then every run starts on it
start_once "$OUT/existing"
wrk -t2 -c16 -d"${FILL_S}s" -s bench/chat.lua -H "authorization: Bearer tg-bench" \
  "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" | grep -o 'requests=[0-9]*' | sed 's/^/existing ledger: /'
stop_gateway
echo "existing ledger: $(du -sh "$OUT/existing/ledger.duckdb" | cut -f1)"

for kind in fresh existing; do
  : >"$OUT/$kind.txt"
  for r in $(seq 1 "$RUNS"); do
    [ $kind = fresh ] && rm -rf "$OUT/fresh"
    start_once "$OUT/$kind"
    echo "$kind run $r: first 200 after $TOTAL_MS ms, CPU $CPU_MS ms; $(stages)"
    echo "$TOTAL_MS $CPU_MS" >>"$OUT/$kind.txt"
    stop_gateway
  done
  echo "$kind data dir: median first 200 after $(cut -d' ' -f1 "$OUT/$kind.txt" | median) ms, CPU $(cut -d' ' -f2 "$OUT/$kind.txt" | median) ms ($RUNS runs)"
done
