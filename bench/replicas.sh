#!/usr/bin/env bash
# Three gateway processes on one PostgreSQL schema and one Redis prefix behind nginx, on one sandbox provider, and the
# checks of issue 16's "Proof" (each printed PASS/FAIL with its numbers; the checks are in bench/ReplicasCheck.java):
#   (a) 600 concurrent requests against a budget that affords 30: spend never above the budget
#   (b) kill -9 of one replica mid-load: every answered request is in the ledger exactly once (after the replica
#       restarts and replays its journal), and its reservations are released once their lease runs out (~1 min)
#   (c) /admin/spend from each replica and `tollgate report --ledger` agree to the last decimal
#   (d) a budget created through one replica's admin API refuses a request on another within a second
#   (e) 100 identical concurrent requests over the three replicas reach the provider once (cache.redis, for key e
#       only; COALESCE=0 leaves the cache off)
# Then THROUGHPUT=1 (default) measures one against three replicas behind nginx with wrk, with CPU per request.
#
#   bench/replicas.sh                       # needs PostgreSQL and Redis on 127.0.0.1 (below), nginx, wrk
#   PG_URL=postgres://postgres@db:5432/test REDIS_URL=redis://cache:6379 bench/replicas.sh
#   THROUGHPUT=0 bench/replicas.sh          # the checks only
#   CHECKS=0 ROUNDS=3 DURATION=15 WARMUP=30 bench/replicas.sh   # the throughput only (rounds alternate one, three)
#   KEEP=1 bench/replicas.sh                # keep the run's PostgreSQL schema and Redis keys (dropped by default)
# Exit status: 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_JDBC=${PG_JDBC:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
THROUGHPUT=${THROUGHPUT:-1}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-30}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
COALESCE=${COALESCE:-1}
BASE_PORT=${BASE_PORT:-9740}
run_id=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-bench/results/replicas-$run_id}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export OUT PG_JDBC
export PG_SCHEMA="${PG_SCHEMA:-replicas_$(date -u +%H%M%S)_$$}"   # a fresh schema (and Redis prefix) per run unless given
export ADMIN_TOKEN=replicas-admin
export SANDBOX_PORT=$BASE_PORT PROVIDER_PORT=$((BASE_PORT + 1)) LB_PORT=$((BASE_PORT + 2)) LB1_PORT=$((BASE_PORT + 3)) SLOW_SANDBOX_PORT=$((BASE_PORT + 4))
ports=($((BASE_PORT + 11)) $((BASE_PORT + 12)) $((BASE_PORT + 13)))
export REPLICA_PORTS="${ports[*]}"
export PROVIDER_LOG="$OUT/nginx/provider.log"

for tool in nginx wrk; do command -v $tool >/dev/null || { echo "replicas.sh: needs $tool" >&2; exit 1; }; done
./tollgate --version >/dev/null   # builds the jar if needed
java="$(./tollgate --java-home)/bin/java"
check() { "$java" -cp 'app/target/lib/*:app/target/tollgate.jar' bench/ReplicasCheck.java "$@"; }

pids=()
declare -A replica_pid
stop_all() {
  for p in "${replica_pid[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] && return
  "$java" -cp 'app/target/lib/*' bench/ReplicasCheck.java drop >/dev/null 2>&1 || true   # the run's schema
  redis-cli -u "$REDIS_URL" --scan --pattern "tollgate-$PG_SCHEMA:*" 2>/dev/null | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null 2>&1 || true
}
trap stop_all EXIT
wait_port() {
  for _ in $(seq 1 300); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done
  echo "port $1 never opened" >&2; exit 1
}

# One provider for all: the sandbox answers at once with 16 output tokens (the requests ask max_tokens 16, so a
# reservation's worst case is the real cost); nginx in front of it logs each call that reaches it.
./tollgate sandbox --port "$SANDBOX_PORT" --output-tokens 16 --event-loops 1 >"$OUT/sandbox.log" 2>&1 & pids+=($!)
# and one that waits 200 ms (model slow-mini), so that the replica killed mid-load holds reservations in flight
./tollgate sandbox --port "$SLOW_SANDBOX_PORT" --output-tokens 16 --latency-ms 200 --event-loops 1 >"$OUT/slow-sandbox.log" 2>&1 & pids+=($!)

cat >"$OUT/replica.yaml" <<YAML
server: {event_loops: 1}
admin: {token: $ADMIN_TOKEN}
providers:
  sandbox: {type: openai, base_url: "http://127.0.0.1:$PROVIDER_PORT/v1", api_key: sk-sandbox}
  slow: {type: openai, base_url: "http://127.0.0.1:$SLOW_SANDBOX_PORT/v1", api_key: sk-sandbox}
models:
  - {name: gpt-4o-mini, provider: sandbox}
  - {name: slow-mini, provider: slow, model: gpt-4o-mini}
keys:
  - {key: tg-a, name: a, tags: {team: a}}
  - {key: tg-b, name: b, tags: {team: b}}
  - {key: tg-d, name: d, tags: {team: d}}
  - {key: tg-e, name: e, tags: {team: e}}
  - {key: tg-bench, name: bench, tags: {team: bench}}
spend_controls:
  budgets:
    - {name: bench-month, scope: "team:bench", period: monthly, limit_usd: "1000000"}
  redis: {url: "$REDIS_URL", key_prefix: "tollgate-$PG_SCHEMA:", lease_minutes: 1}
ledger: {type: postgres, url: "$PG_URL", schema: $PG_SCHEMA, pool_size: 4}
YAML
# the shared cache only for key e (check e): cached answers cost nothing, so the budget checks must not see it
if [ "$COALESCE" = 1 ]; then echo "cache: {enabled: true, redis: {url: \"$REDIS_URL\", prefix: \"tollgate-$PG_SCHEMA:cache:\"}, policies: [{key: e}, {model: gpt-4o-mini, enabled: false}, {model: slow-mini, enabled: false}]}" >>"$OUT/replica.yaml"; fi

start_replica() { # index
  local i=$1
  ./tollgate serve --config "$OUT/replica.yaml" --port "${ports[$i]}" --data "$OUT/data$i" >>"$OUT/replica$i.log" 2>&1 &
  replica_pid[$i]=$!
}

mkdir -p "$OUT/nginx"
cat >"$OUT/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path $OUT/nginx/body; proxy_temp_path $OUT/nginx/proxy;
  fastcgi_temp_path $OUT/nginx/fcgi; uwsgi_temp_path $OUT/nginx/uwsgi; scgi_temp_path $OUT/nginx/scgi;
  log_format line '\$request \$status';
  access_log off;
  upstream provider { server 127.0.0.1:$SANDBOX_PORT; keepalive 64; }
  upstream replicas {
    server 127.0.0.1:${ports[0]} max_fails=1 fail_timeout=5s;
    server 127.0.0.1:${ports[1]} max_fails=1 fail_timeout=5s;
    server 127.0.0.1:${ports[2]} max_fails=1 fail_timeout=5s;
    keepalive 64;
  }
  upstream one_replica { server 127.0.0.1:${ports[0]}; keepalive 64; }
  server {   # the provider, as the gateways see it: each call that reaches it is one line of provider.log
    listen 127.0.0.1:$PROVIDER_PORT;
    access_log $PROVIDER_LOG line;
    location / { proxy_pass http://provider; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {   # the load balancer over the three replicas (round robin)
    listen 127.0.0.1:$LB_PORT;
    location / { proxy_pass http://replicas; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {   # the same through nginx to one replica, for the throughput baseline
    listen 127.0.0.1:$LB1_PORT;
    location / { proxy_pass http://one_replica; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$OUT/nginx.conf" -e "$OUT/nginx/error.log" & pids+=($!)

# The first replica migrates the schema alone; the other two start once it is up.
start_replica 0; wait_port "${ports[0]}"
start_replica 1; start_replica 2
for p in "$SANDBOX_PORT" "$SLOW_SANDBOX_PORT" "$PROVIDER_PORT" "$LB_PORT" "${ports[@]}"; do wait_port "$p"; done
echo "replicas on ports ${ports[*]} (pids ${replica_pid[0]} ${replica_pid[1]} ${replica_pid[2]}) behind nginx at $LB_PORT; schema $PG_SCHEMA; output in $OUT"

status=0
if [ "${CHECKS:-1}" = 1 ]; then
check budget || status=1
killed_at=$(date +%s)
check crash "${replica_pid[2]}" || status=1
wait "${replica_pid[2]}" 2>/dev/null || true
start_replica 2; wait_port "${ports[2]}"   # the same data directory: it replays its journal into PostgreSQL
check once || status=1
check propagate || status=1
if [ "$COALESCE" = 1 ]; then check coalesce || status=1; fi
./tollgate report --ledger "$PG_URL" --ledger-schema "$PG_SCHEMA" --by team,model,status --format json >"$OUT/report.json"
check agree "$OUT/report.json" || status=1
wait_s=$(( killed_at + 65 - $(date +%s) ))
if [ "$wait_s" -gt 0 ]; then echo "     waiting ${wait_s} s for the dead replica's lease (lease_minutes: 1) to run out"; sleep "$wait_s"; fi
check lease || status=1
fi

if [ "$THROUGHPUT" = 1 ]; then
  # CPU seconds (user + system) a set of processes used so far, from /proc
  cpu_s() { local t=0; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo "scale=3; $t / $(getconf CLK_TCK)" | bc; }
  echo "throughput: wrk -t2 -c$CONNS -d${DURATION}s through nginx, key with one budget in Redis, rows into PostgreSQL"
  # every JVM compiles its own hot code: warm all three first, so that neither side pays for it in the figures
  wrk -t2 -c"$CONNS" -d"${WARMUP}s" -s bench/chat.lua "http://127.0.0.1:$LB_PORT/v1/chat/completions" -H "authorization: Bearer tg-bench" >/dev/null 2>&1
  targets=""; for _ in $(seq 1 "$ROUNDS"); do targets="$targets one three"; done
  for target in $targets; do
    port=$([ "$target" = one ] && echo "$LB1_PORT" || echo "$LB_PORT")
    before=$(cpu_s "${replica_pid[@]}")
    wrk -t2 -c"$CONNS" -d"${DURATION}s" -s bench/chat.lua "http://127.0.0.1:$port/v1/chat/completions" \
      -H "authorization: Bearer tg-bench" >"$OUT/wrk-$target.txt" 2>&1
    after=$(cpu_s "${replica_pid[@]}")
    read -r reqs dur_us p50_us errors < <(sed -n 's/^RESULT requests=\([0-9]*\) duration_us=\([0-9]*\) p50_us=\([0-9]*\) p99_us=[0-9]* errors=\([0-9]*\)/\1 \2 \3 \4/p' "$OUT/wrk-$target.txt")
    rps=$(echo "scale=0; $reqs * 1000000 / $dur_us" | bc)
    cpu_ms=$(echo "scale=3; ($after - $before) * 1000 / $reqs" | bc)
    printf '     %-5s replica(s): %6s req/s  p50 %6s us  gateway CPU %s ms/request (3 JVMs together)  errors %s\n' "$target" "$rps" "$p50_us" "$cpu_ms" "$errors"
  done
fi
exit $status
