#!/usr/bin/env bash
# Steady-state CPU per request of the gateway, split by thread group (event loops, ledger writer, GC, JIT, other):
# a 20 s (WARMUP_S) warm-up at 16 connections (CONNS), then 15 s measured from /proc/PID/task/*/stat; the threads
# counted as "other" are listed after it by name.
#   bench/threads.sh                          # this checkout
#   CONNS=1 bench/threads.sh                  # one connection: each request alone
#   CACHE=1 UNIQUE=1 bench/threads.sh         # the response cache on, every request a miss (bench/chat-unique.lua)
#   REPO=/path/to/other/checkout bench/threads.sh
#   PROFILE=bench/results/flame.html bench/threads.sh   # also an async-profiler CPU flame graph of the measured 15 s
#   PROFILE_EVENT=alloc,total PROFILE=... bench/threads.sh # the same for allocations (in bytes)
#                                             # (ASYNC_PROFILER: libasyncProfiler.so, from tools.profiler:async-profiler)
# Ports 9224/9225 (SANDBOX_PORT/TOLLGATE_PORT to change them).
set -euo pipefail
cd "${REPO:-$(dirname "$0")/..}"
OUT=${OUT:-/tmp/threads-$(basename "$(pwd)")}; rm -rf $OUT; mkdir -p $OUT
SANDBOX_PORT=${SANDBOX_PORT:-9224} TOLLGATE_PORT=${TOLLGATE_PORT:-9225}
CONNS=${CONNS:-16} WRK_THREADS=$(( ${CONNS:-16} < 2 ? 1 : 2 ))
source bench/lib.sh
start_sandbox_and_gateway
TGPID=$(pgrep -f -- "--config $OUT/tollgate.yaml" | while read p; do [ "$(readlink /proc/$p/exe)" != "/usr/bin/bash" ] && echo $p; done | tail -1)
# two halves: the connections of the first close before the second, so the code the JVM recompiles after their first
# close (Netty's busiest paths) is compiled again before the measured run (bench/load.sh)
for _ in 1 2; do
  wrk -t$WRK_THREADS -c$CONNS -d$(( ${WARMUP_S:-20} / 2 ))s -s "bench/chat$([ "${UNIQUE:-0}" = 1 ] && echo -unique).lua" -H "authorization: Bearer tg-bench" http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions >/dev/null
done
# per thread: CPU ticks, and the times it went to sleep (voluntary context switches: a wait, a wake-up to come)
snap() { for t in /proc/$TGPID/task/*; do echo "${t##*/} $(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat) $(awk '/^voluntary_ctxt/ {print $2}' $t/status)"; done; }
snap > $OUT/a
flt_a=$(awk '{print $10}' /proc/$TGPID/stat)   # minor page faults: fresh memory touched, whatever the machine's load
if [ -n "${PROFILE:-}" ]; then
  "$JAVA_HOME/bin/jcmd" $TGPID JVMTI.agent_load "${ASYNC_PROFILER:?path to libasyncProfiler.so}" \
    "\"start,event=${PROFILE_EVENT:-cpu,interval=997us},threads,file=$(realpath -m "$PROFILE")\"" >/dev/null
fi
wrk -t$WRK_THREADS -c$CONNS -d15s -s "bench/chat$([ "${UNIQUE:-0}" = 1 ] && echo -unique).lua" -H "authorization: Bearer tg-bench" http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions > $OUT/wrk
snap > $OUT/b
flt_b=$(awk '{print $10}' /proc/$TGPID/stat)
if [ -n "${PROFILE:-}" ]; then  # the same samples as folded stacks too (PROFILE with .collapsed), for grep and diff
  # "total" is an output option: the dump and the flame graph count bytes (or ns) only when it is given to them too
  total=$([[ "${PROFILE_EVENT:-}" == *total* ]] && echo ,total || true)
  "$JAVA_HOME/bin/jcmd" $TGPID JVMTI.agent_load "$ASYNC_PROFILER" "\"dump,collapsed$total,file=$(realpath -m "${PROFILE%.html}").collapsed\"" >/dev/null
  "$JAVA_HOME/bin/jcmd" $TGPID JVMTI.agent_load "$ASYNC_PROFILER" "\"stop$total,file=$(realpath -m "$PROFILE")\"" >/dev/null
fi
req=$(grep RESULT $OUT/wrk | sed -E 's/.*requests=([0-9]+).*/\1/')
python3 - $OUT/a $OUT/b $req $((flt_b - flt_a)) <<'PY'
import sys, collections
def load(p):
    d={}; s={}
    for l in open(p):  # by thread id: a thread that starts or ends in between must not shift the others
        tid,n,t,c=l.split(); d[(tid,n)]=int(t); s[(tid,n)]=int(c)
    return d,s
(a,sa)=load(sys.argv[1]); (b,sb)=load(sys.argv[2]); r=int(sys.argv[3])
g=collections.Counter(); other=collections.Counter(); sleeps=collections.Counter()
for k,v in sb.items():
    sleeps[k[1].rstrip('0123456789#-_')]+=v-sa.get(k,0)
for k,v in b.items():
    name=k[1]
    grp='eventloop' if 'eventloo' in name else 'ledger' if 'ledger' in name else 'gc' if 'GC' in name or 'G1' in name else 'jit' if 'Compiler' in name else 'other'
    g[grp]+=v-a.get(k,0)
    if grp=='other': other[name.rstrip('0123456789#-_')]+=v-a.get(k,0)
tot=sum(g.values())
print(f"req={r}", " ".join(f"{k} {v*1e4/r:.1f}" for k,v in sorted(g.items())), f"total {tot*1e4/r:.1f} us/req",
      f"page faults {int(sys.argv[4])/r:.2f}/req")
print("other:", ", ".join(f"{k} {v*1e4/r:.1f}" for k,v in other.most_common(8) if v))
print("sleeps per request:", ", ".join(f"{k} {v/r:.2f}" for k,v in sleeps.most_common(8) if v))
PY
