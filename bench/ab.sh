#!/usr/bin/env bash
# Two builds' CPU per request side by side, for a machine whose load drifts: one sandbox, two gateways running at once
# (this checkout and BASE, each with lib.sh's gateway_yaml: plain, or ROUTED=1), driven by the same wrk in alternating
# slices of SLICE_S seconds at CONNS connections. Each slice's CPU is read from /proc/PID/task/*/stat of the gateway
# it drove (grouped as threads.sh groups them), so what the other sessions do to the machine falls on both builds alike.
# WARMUP slices each first (not counted), then SLICES each; one line per slice, medians at the end.
#   BASE=/work/main bench/ab.sh
#   BASE=/work/main SLICES=8 SLICE_S=10 WARMUP=6 SANDBOX_PORT=9861 PORT_A=9862 PORT_B=9863 bench/ab.sh
#   BASE=/work/main ROUTED=1 BUDGETS=5 CACHE=1 UNIQUE=1 bench/ab.sh   # lib.sh's tier over a route, budgets, the cache
#                                                                      # and every request a miss, as in load.sh
#   BASE=. B_EVENT_LOOPS=1 bench/ab.sh        # one build, B with server.event_loops: 1 (A keeps TOLLGATE_EVENT_LOOPS)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:?BASE: the other checkout, built (./tollgate --version there)}
OUT=${OUT:-/tmp/ab-$(basename "$(pwd)")}; rm -rf "$OUT"; mkdir -p "$OUT"
SANDBOX_PORT=${SANDBOX_PORT:-9226} PORT_A=${PORT_A:-9227} PORT_B=${PORT_B:-9228}
CONNS=${CONNS:-16} SLICE_S=${SLICE_S:-10} WARMUP=${WARMUP:-6} SLICES=${SLICES:-6}
source bench/lib.sh
./tollgate sandbox --port "$SANDBOX_PORT" --output-tokens 16 --event-loops 1 >"$OUT/sandbox.log" 2>&1 & pids+=($!)
gateway_yaml "${ROUTED:-0}" >"$OUT/tollgate.yaml"
TOLLGATE_EVENT_LOOPS=${B_EVENT_LOOPS:-${TOLLGATE_EVENT_LOOPS:-0}} gateway_yaml "${ROUTED:-0}" >"$OUT/tollgate-b.yaml"
./tollgate serve --config "$OUT/tollgate.yaml" --port "$PORT_A" --data "$OUT/data-a" >"$OUT/a.log" 2>&1 & pids+=($!)
(cd "$BASE" && exec ./tollgate serve --config "$OUT/tollgate-b.yaml" --port "$PORT_B" --data "$OUT/data-b") >"$OUT/b.log" 2>&1 & pids+=($!)
wait_port "$SANDBOX_PORT"; wait_port "$PORT_A"; wait_port "$PORT_B"
gateway_pid() { pgrep -f -- "--port $1 --data" | while read p; do [ "$(readlink /proc/$p/exe)" != "/usr/bin/bash" ] && echo $p; done | tail -1; }
PID_A=$(gateway_pid "$PORT_A") PID_B=$(gateway_pid "$PORT_B")
# a thread that ends while it is read leaves a short line, which the sums skip
snap() { for t in /proc/$1/task/*; do echo "${t##*/} $(tr ' ' _ <$t/comm 2>/dev/null) $(awk '{print $14+$15}' $t/stat 2>/dev/null)"; done; }
slice() { # $1 = a|b, $2 = port, $3 = pid, $4 = counted (1) or warm-up (0)
  snap "$3" >"$OUT/s0"
  wrk -t2 -c"$CONNS" -d"${SLICE_S}s" -s "bench/chat$([ "${UNIQUE:-0}" = 1 ] && echo -unique).lua" -H "authorization: Bearer tg-bench" \
    "http://127.0.0.1:$2/v1/chat/completions" >"$OUT/wrk"
  snap "$3" >"$OUT/s1"
  [ "$4" = 1 ] || return 0
  python3 - "$1" "$OUT/s0" "$OUT/s1" "$(sed -nE 's/.*RESULT requests=([0-9]+).*/\1/p' "$OUT/wrk")" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY' | tee -a "$OUT/slices"
import sys, collections
def load(p): return {(f[0], f[1]): int(f[2]) for f in (l.split() for l in open(p)) if len(f) == 3}
a, b, r = load(sys.argv[2]), load(sys.argv[3]), int(sys.argv[4])
g = collections.Counter()
for (tid, name), v in b.items():
    grp = 'eventloop' if 'eventloo' in name else 'ledger' if 'ledger' in name else 'gc' if 'GC' in name or 'G1' in name else 'jit' if 'Compiler' in name else 'other'
    g[grp] += v - a.get((tid, name), 0)
print(sys.argv[1], f"req={r}", " ".join(f"{k}={v * 1e4 / r:.1f}" for k, v in sorted(g.items())),
      f"total={sum(g.values()) * 1e4 / r:.1f}", f"load={sys.argv[5]}")
PY
}
for i in $(seq 1 "$WARMUP"); do slice a "$PORT_A" "$PID_A" 0; slice b "$PORT_B" "$PID_B" 0; done
for i in $(seq 1 "$SLICES"); do
  if [ $((i % 2)) = 1 ]; then slice a "$PORT_A" "$PID_A" 1; slice b "$PORT_B" "$PID_B" 1
  else slice b "$PORT_B" "$PID_B" 1; slice a "$PORT_A" "$PID_A" 1; fi
done
python3 - "$OUT/slices" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(sys.argv[1]):
    f = l.split(); build = f[0]
    for kv in f[1:]:
        k, v = kv.split('='); rows[build][k].append(float(v))
for build, name in (('a', 'this checkout'), ('b', 'BASE')):
    print(f"median {build} ({name}):", " ".join(f"{k} {statistics.median(v):.1f}" for k, v in rows[build].items() if k != 'req'),
          f"(req/slice {statistics.median(rows[build]['req']):.0f})")
PY
