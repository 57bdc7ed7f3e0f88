#!/usr/bin/env bash
# Shadow traffic never delays the client (issue 13): one gateway, two routes to the same sandbox deployment, one of
# them with shadow: {sample: 0.5} to a candidate on a second sandbox (a candidate is another provider's server: on the
# same one-loop sandbox its calls would queue in front of production's). Rounds interleave the two routes, so machine
# noise hits both alike; medians of the client's p50/p99 are reported side by side, with the shadow calls made and the
# gateway's CPU time per client request.
#
# The candidate's sandbox runs under nice -n 19: it stands in for a remote provider, whose CPU is not the gateway's
# machine's. At normal priority its work (answering every other request) would be taken from the cores the gateway
# and the production sandbox share, and the run would measure the stand-in, not the gateway's own cost of shadowing.
# CANDIDATE_NICE=0 runs it at normal priority.
#
#   bench/shadow.sh                                  # defaults below
#   ROUNDS=7 DURATION=10 CONNS="1 16" bench/shadow.sh
#   CANDIDATE_LATENCY_MS=200 bench/shadow.sh         # a candidate slower than production
#   LATENCY_MS=300 CANDIDATE_LATENCY_MS=300 bench/shadow.sh   # both providers take as long as a model does: the client's
#                                                    # wait is the provider's, the cores are mostly free (production's
#                                                    # case), against the default zero-latency run where every µs of
#                                                    # shadow work competes with the client's on two saturated cores
#   CANDIDATE_LATENCY_MS=5000 SHADOW_MAX_IN_FLIGHT=1 bench/shadow.sh   # nearly every sample shed: the mechanism alone
#   BASE_PORT=9911 bench/shadow.sh                   # three ports from here: sandbox, gateway, candidate
#   REPO=/path/to/other/checkout BASE_PORT=9921 bench/shadow.sh   # another build (a "before"), this script's settings
#   SHADOW_THREADS_SCHED=idle bench/shadow.sh        # an experiment: the shadow's threads moved to SCHED_IDLE (chrt) after
#                                                    # the warm-up, where a waking client thread preempts them at once
#
# Needs wrk (apt-get install wrk).
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-10}
CONNS=${CONNS:-1 16}
OUT=${OUT:-bench/results/shadow-$(date -u +%Y%m%dT%H%M%SZ)}
BASE_PORT=${BASE_PORT:-9111}
SANDBOX_PORT=$BASE_PORT TOLLGATE_PORT=$((BASE_PORT + 1)) CANDIDATE_PORT=$((BASE_PORT + 2))
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
command -v wrk >/dev/null || { echo "shadow.sh: needs wrk" >&2; exit 1; }
./tollgate --version >/dev/null   # builds the jar if needed

pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
wait_port() {
  for _ in $(seq 1 150); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done
  echo "port $1 never opened" >&2; exit 1
}

latency_header=""
[ "${CANDIDATE_LATENCY_MS:-0}" != 0 ] && latency_header=", headers: {x-sandbox-latency-ms: \"$CANDIDATE_LATENCY_MS\"}"
./tollgate sandbox --port "$SANDBOX_PORT" --output-tokens 16 --event-loops 1 --latency-ms "${LATENCY_MS:-0}" >"$OUT/sandbox.log" 2>&1 & pids+=($!)
SANDBOX_PID=$!
nice -n "${CANDIDATE_NICE:-19}" ./tollgate sandbox --port "$CANDIDATE_PORT" --output-tokens 16 --event-loops 1 >"$OUT/candidate.log" 2>&1 & pids+=($!)
cat >"$OUT/tollgate.yaml" <<YAML
server: {event_loops: ${TOLLGATE_EVENT_LOOPS:-0}}
admin: {token: bench-admin}
providers:
  sandbox: {type: openai, base_url: "http://127.0.0.1:$SANDBOX_PORT/v1", api_key: sk-sandbox}
  candidate: {type: openai, base_url: "http://127.0.0.1:$CANDIDATE_PORT/v1", api_key: sk-sandbox$latency_header}
keys:
  - {key: tg-bench, name: bench, tags: {team: bench}}
models:
  - {name: candidate-nano, provider: candidate, model: gpt-4.1-nano}
routes:
  - {name: plain, deployments: [{provider: sandbox, model: gpt-4o-mini}]}
  - name: shadowed
    deployments: [{provider: sandbox, model: gpt-4o-mini}]
    shadow: {model: candidate-nano, sample: 0.5, budget: shadow, max_in_flight: ${SHADOW_MAX_IN_FLIGHT:-256}}
spend_controls:
  budgets:
    - {name: shadow, scope: "shadow:shadowed", period: monthly, limit_usd: "1000000"}
YAML
./tollgate serve --config "$OUT/tollgate.yaml" --port "$TOLLGATE_PORT" --data "$OUT/data" >"$OUT/tollgate.log" 2>&1 & pids+=($!)
TOLLGATE_PID=$!
wait_port "$SANDBOX_PORT"; wait_port "$CANDIDATE_PORT"; wait_port "$TOLLGATE_PORT"

run_wrk() { # model conns seconds
  local threads=$(( $2 < 2 ? 1 : 2 ))
  MODEL=$1 wrk -t$threads -c$2 -d${3}s --timeout 10s -s bench/shadow.lua -H "authorization: Bearer tg-bench" \
    "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" | grep '^RESULT' || echo "RESULT requests=0 duration_us=1 p50_us=0 p99_us=0 errors=-1"
}

echo "warming up ${WARMUP}s each…" >&2
for m in plain shadowed; do run_wrk $m 16 $WARMUP >/dev/null; done

cpu_ticks() { awk '{print $14 + $15}' /proc/$TOLLGATE_PID/stat; }   # the gateway's utime + stime
TICK=$(getconf CLK_TCK)
# per thread of the gateway and the production sandbox (named sandbox:…): CPU and run-queue wait in ns (schedstat),
# and the times it went to sleep (voluntary context switches: a wake-up to come)
snap() { for t in /proc/$TOLLGATE_PID/task/* /proc/$SANDBOX_PID/task/*; do read -r ns wait _ <"$t/schedstat" &&
  echo "${t##*/} $([ "${t#/proc/$SANDBOX_PID/}" != "$t" ] && echo -n sandbox:)$(tr ' ' _ <"$t/comm") $ns $wait $(awk '/^voluntary_ctxt/ {print $2}' "$t/status")"; done 2>/dev/null; }
: >"$OUT/threads-raw.txt"

if [ "${SHADOW_THREADS_SCHED:-}" = idle ]; then
  for t in /proc/$TOLLGATE_PID/task/*; do
    case "$(cat "$t/comm")" in shadow-lane|shadow-redactor|tollgate-shadow) chrt --idle -p 0 "${t##*/}";; esac
  done
fi
sent_total() { curl -s "http://127.0.0.1:$TOLLGATE_PORT/metrics" | awk '/^tollgate_shadow_sent_total/ { s += $2 } END { printf "%d", s }'; }
: >"$OUT/shadow-calls.txt"
echo "target conns round rps p50_us p99_us errors cpu_us_per_req" >"$OUT/raw.txt"
for r in $(seq 1 $ROUNDS); do
  for c in $CONNS; do
    for m in plain shadowed; do
      sent0=$(sent_total)
      before=$(cpu_ticks); snap >"$OUT/snap-a"
      line=$(run_wrk $m $c $DURATION)
      after=$(cpu_ticks); snap >"$OUT/snap-b"
      sent1=$(sent_total)
      read -r req dur p50 p99 err < <(sed -E 's/[a-z0-9_]+=//g; s/^RESULT //' <<<"$line")
      split=$(python3 bench/thread_split.py "$OUT/snap-a" "$OUT/snap-b" "$req" | tr ' ' '\n' | tr '=/' '  ')
      sed "s/^/$m $c $r /" <<<"$split" >>"$OUT/threads-raw.txt"
      # the shadow's own threads' CPU per shadow call sent in this round (steady state, unlike the whole run's figure)
      [ "$m" = shadowed ] && awk -v req="$req" -v sent=$((sent1 - sent0)) -v c="$c" -v r="$r" \
        '$1 ~ /^(shadow-lane|shadow-redactor|tollgate-shadow)$/ { s += $2 }
         END { if (sent > 0) printf "%s %s %d %.1f\n", c, r, sent, s * req / sent }' <<<"$split" >>"$OUT/shadow-calls.txt"
      rps=$(awk -v r=$req -v d=$dur 'BEGIN{printf "%.0f", r/(d/1e6)}')
      cpu=$(awk -v t=$((after - before)) -v hz=$TICK -v r=$req 'BEGIN{printf "%.0f", (r > 0 ? t * 1e6 / hz / r : 0)}')
      echo "$m $c $r $rps $p50 $p99 $err $cpu" | tee -a "$OUT/raw.txt" >&2
    done
  done
done

# The shadow calls were really made: started, shed, refused, failed, and their spend apart from the clients'.
curl -s "http://127.0.0.1:$TOLLGATE_PORT/metrics" | grep '^tollgate_shadow_' >"$OUT/shadow-metrics.txt" || true
curl -s -H "authorization: Bearer bench-admin" "http://127.0.0.1:$TOLLGATE_PORT/admin/spend?group_by=deployment,key" >"$OUT/spend.json"

awk -f bench/summarize.awk "$OUT/raw.txt" | sed '/^- /d' | tee "$OUT/summary.md"
echo "Per client request, by thread group (the production sandbox's apart), medians of the rounds: CPU µs / sleeps (voluntary context switches) / µs waiting for a core:" | tee -a "$OUT/summary.md"
python3 bench/thread_split.py --median "$OUT/threads-raw.txt" | tee -a "$OUT/summary.md"
awk 'NR > 1 { k = $2; if ($1 == "plain") { p[k] = p[k] " " $5; q[k] = q[k] " " $6; c[k] = c[k] " " $8 }
                       else { s[k] = s[k] " " $5; t[k] = t[k] " " $6; d[k] = d[k] " " $8 } }
     function median(list, n, a, i, j, x) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
     END { for (k in p) printf "- %s conns: client p50 with shadow / without %.2f, p99 %.2f; gateway CPU per client request %.0f / %.0f µs\n",
             k, median(s[k]) / median(p[k]), median(t[k]) / median(q[k]), median(d[k]), median(c[k]) }' "$OUT/raw.txt" | tee -a "$OUT/summary.md"
cat "$OUT/shadow-metrics.txt"
# Where the gateway's CPU went over the whole run (warm-up included), by thread name; the shadow's own threads are
# shadow-lane (its event loop: the upstream call, budgets, metering), shadow-redactor and tollgate-shadow (the store's
# writer of the kept answers); the rest of its cost (copying the client's answer, its ledger row) is in shared threads.
for t in /proc/$TOLLGATE_PID/task/*; do echo "$(tr ' ' _ <"$t/comm") $(awk '{print $14 + $15}' "$t/stat")"; done 2>/dev/null |
  awk -v hz=$TICK '{ c[$1] += $2 } END { for (k in c) if (c[k] > 0) printf "%s %.2f\n", k, c[k] / hz }' | sort -k2 -nr >"$OUT/threads.txt"
sent=$(sed -n 's/^tollgate_shadow_sent_total{.*} //p' "$OUT/shadow-metrics.txt")
echo "CPU seconds by thread: $(head -8 "$OUT/threads.txt" | tr '\n' ' ')"
awk -v sent="${sent:-0}" '/^(shadow-lane|shadow-redactor|tollgate-shadow) / { s += $2 }
  END { if (sent > 0) printf "- shadow threads (lane, recorder, answer writer): %.0f µs CPU per shadow call sent (%d sent)\n", s * 1e6 / sent, sent }' \
  "$OUT/threads.txt" | tee -a "$OUT/summary.md"
awk '{ n[$1]++; v[$1, n[$1]] = $4; s[$1] += $3 }
     END { for (c in n) { m = n[c]; for (i = 1; i <= m; i++) a[i] = v[c, i]
             for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
             printf "- %s conns: shadow threads %.1f µs CPU per shadow call sent in the rounds (median of %d; %d calls)\n",
               c, m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2, m, s[c] } }' "$OUT/shadow-calls.txt" | tee -a "$OUT/summary.md"
echo "spend: $(cat "$OUT/spend.json")"
echo "results in $OUT"
