#!/usr/bin/env bash
# The first call of a user, from the shell: the time from `./tollgate serve …` (the launcher's checks included) to
# the first 200 answer, and how long that first call itself took once the gateway listened, for the documented
# starting points:
#   plain       README's tour: `./tollgate serve` with no configuration (its built-in sandbox), an OpenAI chat call
#   anthropic   the same, its first call an Anthropic message (/v1/messages)
#   tiered      examples/tiered-support.yaml on `./tollgate sandbox` (a tier over three models, cascade on)
#   routes      examples/routes-sandbox.yaml on `./tollgate sandbox` (a route: 429, then an Anthropic fallback)
# RUNS starts of each (a fresh data directory each), median. Besides wall-clock times (which on a loaded machine say
# mostly how loaded it was) each run gives the gateway's CPU time (all threads: JIT and collector included) until it
# listened and until the first answer; serve's own stage line ("started in …") is kept per run.
#   bench/first-call.sh
#   RUNS=3 CASES="tiered routes" BASE_PORT=9910 bench/first-call.sh
# A build is not part of it (the jars are built first), nor is serve's start-up cache (JDK 25+): a first serve
# prepares it here before the runs. Ports: BASE_PORT (sandbox) and the next (the gateway).
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
RUNS=${RUNS:-5}
CASES=${CASES:-plain anthropic tiered routes}
BASE_PORT=${BASE_PORT:-9231}
SANDBOX_PORT=$BASE_PORT TOLLGATE_PORT=$((BASE_PORT + 1))
OUT=${OUT:-/tmp/first-call-$(basename "$(pwd)")}; rm -rf "$OUT"; mkdir -p "$OUT"
./tollgate --version >/dev/null              # builds the jars if needed: a build is not start-up
./tollgate serve --help >/dev/null           # prepares serve's start-up cache if needed (JDK 25+)

for port in "$SANDBOX_PORT" "$TOLLGATE_PORT"; do
  (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && { echo "first-call.sh: port $port is taken (BASE_PORT to choose others)" >&2; exit 1; }
done
SANDBOX_PID="" GATEWAY_PID=""
trap 'for p in $SANDBOX_PID $GATEWAY_PID; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
./tollgate sandbox --port "$SANDBOX_PORT" >"$OUT/sandbox.log" 2>&1 & SANDBOX_PID=$!
for f in tiered-support routes-sandbox; do   # the examples as written, on this run's sandbox port
  sed "s#127.0.0.1:9000#127.0.0.1:$SANDBOX_PORT#" "examples/$f.yaml" >"$OUT/$f.yaml"
done
for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/$SANDBOX_PORT) 2>/dev/null && break; sleep 0.1; done

# case → serve's arguments, the path and the body of its first call
config_of() { case $1 in plain|anthropic) echo "" ;; tiered) echo "--config $OUT/tiered-support.yaml" ;; routes) echo "--config $OUT/routes-sandbox.yaml" ;; esac; }
path_of() { [ "$1" = anthropic ] && echo /v1/messages || echo /v1/chat/completions; }
body_of() {
  case $1 in
    plain)     echo '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}' ;;
    anthropic) echo '{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}' ;;
    tiered)    echo '{"model":"support-assistant","max_tokens":16,"messages":[{"role":"user","content":"Where is my order? It was due on Monday and has not arrived."}]}' ;;
    routes)    echo '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}' ;;
  esac
}

# a process's CPU time so far (all threads), from /proc in clock ticks
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' /proc/$1/stat; }

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

for c in $CASES; do
  : >"$OUT/$c.txt"
  for r in $(seq 1 "$RUNS"); do
    rm -rf "$OUT/data"
    t0=$(date +%s%N)
    # shellcheck disable=SC2046  # the configuration's arguments split on purpose
    ./tollgate serve $(config_of "$c") --port "$TOLLGATE_PORT" --data "$OUT/data" >"$OUT/serve.log" 2>&1 &
    GATEWAY_PID=$!
    until (echo >/dev/tcp/127.0.0.1/$TOLLGATE_PORT) 2>/dev/null; do
      kill -0 $GATEWAY_PID 2>/dev/null || { echo "first-call.sh: serve ended:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
      sleep 0.005
    done
    t1=$(date +%s%N) cpu1=$(cpu_ms $GATEWAY_PID)
    # the first call: curl's own time for it (connect to last byte), and its status
    read -r code call_s < <(curl -s -o "$OUT/$c.answer" -w '%{http_code} %{time_total}\n' -H 'content-type: application/json' \
      -H 'anthropic-version: 2023-06-01' -d "$(body_of "$c")" "http://127.0.0.1:$TOLLGATE_PORT$(path_of "$c")")
    t2=$(date +%s%N) cpu2=$(cpu_ms $GATEWAY_PID)
    [ "$code" = 200 ] || { echo "first-call.sh: $c answered $code: $(cat "$OUT/$c.answer")" >&2; exit 1; }
    second_s=$(curl -s -o /dev/null -w '%{time_total}' -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \
      -d "$(body_of "$c")" "http://127.0.0.1:$TOLLGATE_PORT$(path_of "$c")")
    listen_ms=$(( (t1 - t0) / 1000000 )) total_ms=$(( (t2 - t0) / 1000000 ))
    call_ms=$(awk -v s="$call_s" 'BEGIN {printf "%d", s * 1000}') second_ms=$(awk -v s="$second_s" 'BEGIN {printf "%d", s * 1000}')
    echo "$c run $r: listening after $listen_ms ms (CPU $cpu1 ms), first call $call_ms ms (CPU $((cpu2 - cpu1)) ms; second call $second_ms ms), first 200 after $total_ms ms (CPU $cpu2 ms); load $(cut -d' ' -f1 /proc/loadavg); $(grep -o 'started in .*' "$OUT/serve.log" | head -1 || true)"
    echo "$total_ms $listen_ms $call_ms $second_ms $cpu2 $cpu1 $((cpu2 - cpu1))" >>"$OUT/$c.txt"
    kill "$GATEWAY_PID"; wait "$GATEWAY_PID" 2>/dev/null || true; GATEWAY_PID=""
  done
  col() { cut -d' ' -f"$1" "$OUT/$c.txt" | median; }
  echo "$c: median first 200 after $(col 1) ms, CPU $(col 5) ms (listening $(col 2) ms, CPU $(col 6) ms; first call $(col 3) ms, CPU $(col 7) ms; second call $(col 4) ms; $RUNS runs)"
done
