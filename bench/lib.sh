# Shared by the benchmark scripts (sourced): background processes that die with the script, and the sandbox provider
# with a Tollgate gateway in front of it. Expects OUT, SANDBOX_PORT and TOLLGATE_PORT to be set (and NGINX_PORT for start_nginx).

pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT

wait_port() {
  for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done
  echo "port $1 never opened" >&2; exit 1
}

# The gateway's config: the upstream answers at once with 16 output tokens and real prompt token counts; the gateway
# meters every call into its DuckDB ledger. $1 = 1: the model the load asks for is a tier (one rule on the key's tags)
# over a route of two deployments; otherwise it is a plain model. TOLLGATE_EVENT_LOOPS and TOLLGATE_TRANSPORT set
# server.event_loops and server.transport (default 0 and auto).
gateway_yaml() {
  cat <<YAML
server: {event_loops: ${TOLLGATE_EVENT_LOOPS:-0}, transport: ${TOLLGATE_TRANSPORT:-auto}}
admin: {token: bench-admin}
providers:
  sandbox: {type: openai, base_url: "http://127.0.0.1:$SANDBOX_PORT/v1", api_key: sk-sandbox}
  sandbox-b: {type: openai, base_url: "http://127.0.0.1:$SANDBOX_PORT/v1", api_key: sk-sandbox}
keys:
  - {key: tg-bench, name: bench, tags: {team: bench}}
YAML
  if [ "$1" = 1 ]; then cat <<YAML
models:
  - {name: mini-a, provider: sandbox, model: gpt-4o-mini}
routes:
  - {name: mini-route, deployments: [{provider: sandbox, model: gpt-4o-mini}, {provider: sandbox-b, model: gpt-4o-mini}]}
tiers:
  - name: gpt-4o-mini
    ladder: [{name: small, model: mini-route}, {name: large, model: mini-a}]
    rules: [{tier: small, tags: {team: bench}}]
YAML
  else cat <<YAML
models:
  - {name: gpt-4o-mini, provider: sandbox}
YAML
  fi
  # CACHE=1: the response cache on (with UNIQUE=1 in load.sh every request misses it: its cost, none of its savings);
  # CACHE_MAX_BYTES: its cache.max_bytes (default 64 MiB)
  if [ "${CACHE:-0}" = 1 ]; then echo "cache: {enabled: true${CACHE_MAX_BYTES:+, max_bytes: $CACHE_MAX_BYTES}}"; fi
  # BUDGETS=5: five budgets and a rate limit apply to every request (limits far above what a run spends)
  if [ "${BUDGETS:-0}" = 5 ]; then cat <<YAML
spend_controls:
  budgets:
    - {name: org-month, scope: org, period: monthly, limit_usd: "1000000"}
    - {name: org-day, scope: org, period: daily, limit_usd: "1000000"}
    - {name: key-week, scope: "key:bench", period: weekly, limit_usd: "1000000"}
    - {name: team-month, scope: "team:bench", period: monthly, limit_usd: "1000000", action: notify}
    - {name: team-life, scope: "team:bench", period: lifetime, limit_usd: "1000000"}
  rate_limits:
    - {scope: "key:*", requests_per_minute: 100000000, tokens_per_minute: 100000000000}
YAML
  fi
}

# The sandbox provider and a gateway in front of it (ROUTED=1: the tier over a route, as gateway_yaml 1), its ledger
# under $OUT/data. Sets TOLLGATE_PID.
# SANDBOX_TRANSPORT (auto, io_uring, epoll, nio) sets the sandbox's --transport; unset, it takes auto's choice (io_uring
# here). Builds before the option ran their sandbox on epoll: an A/B against one needs SANDBOX_TRANSPORT=epoll for this
# build's runs, so that both gateways call the same kind of upstream.
start_sandbox_and_gateway() {
  ./tollgate sandbox --port "$SANDBOX_PORT" --output-tokens 16 --event-loops 1 ${SANDBOX_TRANSPORT:+--transport "$SANDBOX_TRANSPORT"} \
    >"$OUT/sandbox.log" 2>&1 & pids+=($!)
  gateway_yaml "${ROUTED:-0}" >"$OUT/tollgate.yaml"
  TOLLGATE_JAVA_OPTS="${GATEWAY_JAVA_OPTS:-${TOLLGATE_JAVA_OPTS:-}}" ./tollgate serve --config "$OUT/tollgate.yaml" --port "$TOLLGATE_PORT" --data "$OUT/data" >"$OUT/tollgate.log" 2>&1 & pids+=($!)
  TOLLGATE_PID=$!
  wait_port "$SANDBOX_PORT"; wait_port "$TOLLGATE_PORT"
}

# A second gateway on $TOLLGATE_ROUTED_PORT whose model is the tier over a two-deployment route (gateway_yaml 1), with
# the same budgets as the first: the cost of routing on every request, side by side with the plain one. Sets
# TOLLGATE_ROUTED_PID.
start_routed_gateway() {
  gateway_yaml 1 >"$OUT/tollgate-routed.yaml"
  TOLLGATE_JAVA_OPTS="${GATEWAY_JAVA_OPTS:-${TOLLGATE_JAVA_OPTS:-}}" ./tollgate serve --config "$OUT/tollgate-routed.yaml" --port "$TOLLGATE_ROUTED_PORT" --data "$OUT/data-routed" >"$OUT/tollgate-routed.log" 2>&1 & pids+=($!)
  TOLLGATE_ROUTED_PID=$!
  wait_port "$TOLLGATE_ROUTED_PORT"
}

# A second gateway on $TOLLGATE_B_PORT with the first's config but B_EVENT_LOOPS (its server.event_loops), from the
# checkout REPO_B (default this one; built first if needed): another build or setting beside the first. Sets
# TOLLGATE_B_PID.
start_gateway_b() {
  TOLLGATE_EVENT_LOOPS=${B_EVENT_LOOPS:-${TOLLGATE_EVENT_LOOPS:-0}} gateway_yaml "${ROUTED:-0}" >"$OUT/tollgate-b.yaml"
  (cd "${REPO_B:-.}" && ./tollgate --version >/dev/null)
  (cd "${REPO_B:-.}" && TOLLGATE_JAVA_OPTS="${GATEWAY_JAVA_OPTS:-${TOLLGATE_JAVA_OPTS:-}}" exec ./tollgate serve --config "$OUT/tollgate-b.yaml" \
    --port "$TOLLGATE_B_PORT" --data "$OUT/data-b") >"$OUT/tollgate-b.log" 2>&1 & pids+=($!)
  TOLLGATE_B_PID=$!
  wait_port "$TOLLGATE_B_PORT"
}

# A second gateway on $TOLLGATE_REDIS_PORT with the same config, its budgets and rate limits counted in Redis
# ($TOLLGATE_BENCH_REDIS, default redis://127.0.0.1:6379, under a key prefix of this run). Sets TOLLGATE_REDIS_PID and
# REDIS_SERVER_PID (Redis's own process, for its CPU time; it must run on this machine).
start_redis_gateway() {
  local url=${TOLLGATE_BENCH_REDIS:-redis://127.0.0.1:6379} prefix="tollgate-bench:$(basename "$OUT"):"
  cp "$OUT/tollgate.yaml" "$OUT/tollgate-redis.yaml"
  grep -q '^spend_controls:' "$OUT/tollgate-redis.yaml" || echo "spend_controls:" >>"$OUT/tollgate-redis.yaml"
  # spend_controls is the last section of the file
  echo "  redis: {url: \"$url\", key_prefix: \"$prefix\"}" >>"$OUT/tollgate-redis.yaml"
  local hostport=${url#redis://}; hostport=${hostport##*@}
  REDIS_SERVER_PID=$(redis-cli -h "${hostport%:*}" -p "${hostport##*:}" info server | tr -d '\r' | sed -n 's/^process_id://p')
  TOLLGATE_JAVA_OPTS="${GATEWAY_JAVA_OPTS:-${TOLLGATE_JAVA_OPTS:-}}" ./tollgate serve --config "$OUT/tollgate-redis.yaml" --port "$TOLLGATE_REDIS_PORT" --data "$OUT/data-redis" >"$OUT/tollgate-redis.log" 2>&1 & pids+=($!)
  TOLLGATE_REDIS_PID=$!
  wait_port "$TOLLGATE_REDIS_PORT"
}

# nginx in front of the sandbox as the benchmarks compare with it: 1 worker, a keep-alive upstream, on $NGINX_PORT.
# Sets NGINX_PID (its master; the worker is its one child).
start_nginx() {
  mkdir -p "$OUT/nginx"
  cat >"$OUT/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/nginx/body; proxy_temp_path $OUT/nginx/proxy;
  fastcgi_temp_path $OUT/nginx/fcgi; uwsgi_temp_path $OUT/nginx/uwsgi; scgi_temp_path $OUT/nginx/scgi;
  upstream sandbox { server 127.0.0.1:$SANDBOX_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { proxy_pass http://sandbox; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  nginx -c "$OUT/nginx.conf" & pids+=($!)
  NGINX_PID=$!
}
