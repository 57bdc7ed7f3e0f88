#!/usr/bin/env bash
# Load benchmark: the same chat completion sent straight to the sandbox provider, through nginx (1 worker,
# keepalive upstream), through Tollgate (metering and DuckDB ledger on) and through Portkey's gateway, side by
# side in one run. Rounds interleave the targets so machine noise hits all of them alike; medians are reported.
#
#   bench/load.sh                          # defaults below
#   ROUNDS=5 DURATION=20 CONNS="1 16 64" bench/load.sh
#   TARGETS="nginx tollgate" TOLLGATE_EVENT_LOOPS=1 bench/load.sh
#   TARGETS="nginx tollgate" TOLLGATE_TRANSPORT=epoll bench/load.sh   # server.transport: auto (default), io_uring, epoll, nio
#   GATEWAY_JAVA_OPTS=-XX:+UseParallelGC bench/load.sh    # JVM flags for the gateway only (not the sandbox)
#   REPO=/path/to/other/checkout BASE_PORT=9361 bench/load.sh   # another build (a "before"), on other ports
#   ROUTED=1 BUDGETS=5 bench/load.sh       # a tier over a two-deployment route, five budgets and a rate limit
#   ROUTED=1 BUDGETS=5 CACHE=1 UNIQUE=1 bench/load.sh
#                                          # and the response cache on, every request a new text (bench/chat-unique.lua,
#                                          # for every target alike) so that each one misses it: the cache's cost alone
#   TARGETS="nginx tollgate tollgate-routed" bench/load.sh
#   TARGETS="nginx netty-bare tollgate" bench/load.sh   # netty-bare: a bare Netty proxy that prices usage and does
#                                          # nothing else (bench BareProxy), the floor of a JVM proxy on this machine
#                                          # a second gateway whose model is that tier over the route (a rule on
#                                          # every request), side by side with the plain one and nginx
#   TARGETS="nginx tollgate tollgate-b" REPO_B=/path/to/other/checkout bench/load.sh
#                                          # a second gateway, another build (a "before", built there) and/or
#                                          # B_EVENT_LOOPS=N (its server.event_loops), in the same run as the first and
#                                          # nginx, rounds interleaved: before and after against nginx side by side
#   BUDGETS=5 TARGETS="tollgate tollgate-redis" bench/load.sh
#                                          # the same budgets counted in process and in Redis (spend_controls.redis at
#                                          # $TOLLGATE_BENCH_REDIS, default redis://127.0.0.1:6379), two gateways side by side
#
# Each row also gives the CPU time per request (µs) of the proxy: the gateway process (plus Redis's for
# tollgate-redis), or nginx's processes.
#
# Needs wrk, nginx and node (apt-get install wrk nginx-light nodejs npm); installs Portkey into bench/node_modules.
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-15}
CONNS=${CONNS:-1 16 64}
TARGETS=${TARGETS:-direct nginx tollgate portkey}
OUT=${OUT:-bench/results/load-$(date -u +%Y%m%dT%H%M%SZ)}
BASE_PORT=${BASE_PORT:-9101}   # eight ports from here: sandbox, Tollgate, nginx, Portkey, Tollgate on Redis, routed Tollgate, netty-bare, Tollgate B
SANDBOX_PORT=${SANDBOX_PORT:-$BASE_PORT} TOLLGATE_PORT=${TOLLGATE_PORT:-$((BASE_PORT + 1))} NGINX_PORT=${NGINX_PORT:-$((BASE_PORT + 2))}
PORTKEY_PORT=${PORTKEY_PORT:-$((BASE_PORT + 3))} TOLLGATE_REDIS_PORT=${TOLLGATE_REDIS_PORT:-$((BASE_PORT + 4))}
TOLLGATE_ROUTED_PORT=${TOLLGATE_ROUTED_PORT:-$((BASE_PORT + 5))} BARE_PORT=${BARE_PORT:-$((BASE_PORT + 6))}
TOLLGATE_B_PORT=${TOLLGATE_B_PORT:-$((BASE_PORT + 7))}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for tool in wrk nginx node; do command -v $tool >/dev/null || { echo "load.sh: needs $tool" >&2; exit 1; }; done
with_portkey=0; case " $TARGETS " in *" portkey "*) with_portkey=1 ;; esac
[ $with_portkey = 0 ] || [ -d bench/node_modules/@portkey-ai/gateway ] || (cd bench && npm install --no-audit --no-fund --silent)
./tollgate --version >/dev/null   # builds the jar if needed

source bench/lib.sh
start_sandbox_and_gateway
case " $TARGETS " in *" tollgate-redis "*) start_redis_gateway ;; esac
case " $TARGETS " in *" tollgate-routed "*) start_routed_gateway ;; esac
case " $TARGETS " in *" tollgate-b "*) start_gateway_b ;; esac

start_nginx

case " $TARGETS " in *" netty-bare "*)
  JAVA_HOME="$(./tollgate --java-home)"; export JAVA_HOME
  MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" ./mvnw -B -q -Dmaven.test.skip=true package -pl bench -am
  "$JAVA_HOME/bin/java" -Xms192m -Xmx192m --sun-misc-unsafe-memory-access=allow -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
    dev.tollgate.bench.BareProxy $BARE_PORT $SANDBOX_PORT >"$OUT/netty-bare.log" 2>&1 & pids+=($!)
  BARE_PID=$!
  wait_port $BARE_PORT ;;
esac
if [ $with_portkey = 1 ]; then
  node bench/node_modules/@portkey-ai/gateway/build/start-server.js --port=$PORTKEY_PORT --headless >"$OUT/portkey.log" 2>&1 & pids+=($!)
  wait_port $PORTKEY_PORT
fi
wait_port $NGINX_PORT

run_wrk() { # target conns seconds
  local url headers=()
  case $1 in
    direct)   url=http://127.0.0.1:$SANDBOX_PORT/v1/chat/completions; headers=(-H "authorization: Bearer sk-sandbox") ;;
    nginx)    url=http://127.0.0.1:$NGINX_PORT/v1/chat/completions; headers=(-H "authorization: Bearer sk-sandbox") ;;
    tollgate) url=http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions; headers=(-H "authorization: Bearer tg-bench") ;;
    netty-bare) url=http://127.0.0.1:$BARE_PORT/v1/chat/completions; headers=(-H "authorization: Bearer sk-sandbox") ;;
    tollgate-redis) url=http://127.0.0.1:$TOLLGATE_REDIS_PORT/v1/chat/completions; headers=(-H "authorization: Bearer tg-bench") ;;
    tollgate-routed) url=http://127.0.0.1:$TOLLGATE_ROUTED_PORT/v1/chat/completions; headers=(-H "authorization: Bearer tg-bench") ;;
    tollgate-b) url=http://127.0.0.1:$TOLLGATE_B_PORT/v1/chat/completions; headers=(-H "authorization: Bearer tg-bench") ;;
    portkey)  url=http://127.0.0.1:$PORTKEY_PORT/v1/chat/completions
              headers=(-H "authorization: Bearer sk-sandbox" -H "x-portkey-provider: openai"
                       -H "x-portkey-custom-host: http://127.0.0.1:$SANDBOX_PORT/v1") ;;
  esac
  local threads=$(( $2 < 2 ? 1 : 2 ))
  wrk -t$threads -c$2 -d${3}s --timeout 10s -s "bench/chat$([ "${UNIQUE:-0}" = 1 ] && echo -unique).lua" "${headers[@]}" "$url" | grep '^RESULT' || echo "RESULT requests=0 duration_us=1 p50_us=0 p99_us=0 errors=-1"
}

echo "warming up ${WARMUP}s each…" >&2
# in slices at each connection count of the run, twice: the JVM's compiler throws away its code for the busiest paths
# (Netty's reads, completions, releases) the first time connections close and compiles them again, which a single
# warm-up run left to the first measured round (about 130 methods recompiled at 47 s of a 40 s warm-up, bench/threads.sh)
slices=$(( $(wc -w <<<"$CONNS") * 2 ))
for t in $TARGETS; do
  for _ in 1 2; do for c in $CONNS; do run_wrk $t $c $(( WARMUP / slices > 0 ? WARMUP / slices : 1 )) >/dev/null; done; done
done

# CPU ticks (utime + stime) of the processes that serve a target: the gateway (and Redis for tollgate-redis), or
# nginx's master and worker
cpu_ticks() {
  local pid total=0
  case $1 in nginx) pid="$NGINX_PID $(pgrep -P $NGINX_PID | tr '\n' ' ')" ;; tollgate) pid=$TOLLGATE_PID ;; tollgate-routed) pid=$TOLLGATE_ROUTED_PID ;; tollgate-b) pid=$TOLLGATE_B_PID ;; netty-bare) pid=$BARE_PID ;; tollgate-redis) pid="$TOLLGATE_REDIS_PID $REDIS_SERVER_PID" ;; *) echo 0; return ;; esac
  for p in $pid; do total=$(( total + $(awk '{print $14 + $15}' /proc/$p/stat) )); done
  echo $total
}
TICK=$(getconf CLK_TCK)

echo "target conns round rps p50_us p99_us errors cpu_us_per_req" >"$OUT/raw.txt"
for r in $(seq 1 $ROUNDS); do
  for c in $CONNS; do
    for t in $TARGETS; do
      before=$(cpu_ticks $t)
      line=$(run_wrk $t $c $DURATION)
      after=$(cpu_ticks $t)
      read -r req dur p50 p99 err < <(sed -E 's/[a-z0-9_]+=//g; s/^RESULT //' <<<"$line")
      rps=$(awk -v r=$req -v d=$dur 'BEGIN{printf "%.0f", r/(d/1e6)}')
      cpu=$(awk -v t=$((after - before)) -v hz=$TICK -v r=$req 'BEGIN{printf "%.0f", (r > 0 ? t * 1e6 / hz / r : 0)}')
      echo "$t $c $r $rps $p50 $p99 $err $cpu" | tee -a "$OUT/raw.txt" >&2
    done
  done
done

# Metering was really on: the ledger holds the gateway's calls, priced.
curl -s -H "authorization: Bearer bench-admin" "http://127.0.0.1:$TOLLGATE_PORT/admin/spend?group_by=team,model" >"$OUT/spend.json"
echo "RSS of the gateway after the run: $(( $(ps -o rss= -p $TOLLGATE_PID) / 1024 )) MiB" >"$OUT/memory.txt"
if [ -n "${TOLLGATE_ROUTED_PID:-}" ]; then   # every request went through the tier and the route: by deployment
  curl -s -H "authorization: Bearer bench-admin" "http://127.0.0.1:$TOLLGATE_ROUTED_PORT/admin/spend?group_by=tier,deployment" >"$OUT/spend-routed.json"
fi

awk -f bench/summarize.awk "$OUT/raw.txt" | tee "$OUT/summary.md"
echo "ledger: $(cat "$OUT/spend.json")"
[ -f "$OUT/spend-routed.json" ] && echo "routed ledger: $(cat "$OUT/spend-routed.json")"
cat "$OUT/memory.txt"
echo "results in $OUT"
