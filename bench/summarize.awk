# Medians per target and connection count from load.sh's raw.txt, then the ratios the floors are stated in.
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
NR > 1 {
  key = $1 " " $2
  if (!(key in rps)) { order[++n] = key }
  if (NF >= 8) cpu[key] = cpu[key] " " $8
  rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6; err[key] += $7
  conns[$2] = 1
}
END {
  print "| target | conns | req/s (median) | p50 µs | p99 µs | errors | CPU µs/request |"
  print "|---|---:|---:|---:|---:|---:|---:|"
  for (i = 1; i <= n; i++) {
    k = order[i]; split(k, f, " ")
    R[k] = median(rps[k]); P50[k] = median(p50[k]); P99[k] = median(p99[k])
    C[k] = (k in cpu) ? median(cpu[k]) : 0
    printf "| %s | %s | %.0f | %.0f | %.0f | %d | %s |\n", f[1], f[2], R[k], P50[k], P99[k], err[k], (C[k] > 0 ? C[k] : "–")
  }
  print ""
  for (c in conns) {
    sep = ""
    if (("tollgate " c) in R && ("nginx " c) in R) sep = "\n"
    if (("tollgate " c) in R && ("nginx " c) in R && R["nginx " c] > 0)
      printf "- %s conns: Tollgate/nginx throughput %.2f", c, R["tollgate " c] / R["nginx " c]
    if (("tollgate " c) in R && ("portkey " c) in R && R["portkey " c] > 0)
      printf ", Tollgate/Portkey %.1f×", R["tollgate " c] / R["portkey " c]
    if (("tollgate " c) in R && ("direct " c) in R)
      printf ", added latency vs direct p50 %+.0f µs, p99 %+.0f µs", P50["tollgate " c] - P50["direct " c], P99["tollgate " c] - P99["direct " c]
    if (("tollgate-redis " c) in R && ("tollgate " c) in R && R["tollgate " c] > 0)
      printf "%s- %s conns: budgets in Redis / in process: throughput %.2f, CPU per request %.2f×", sep, c,
        R["tollgate-redis " c] / R["tollgate " c], (C["tollgate " c] > 0 ? C["tollgate-redis " c] / C["tollgate " c] : 0)
    if (("tollgate-b " c) in R && ("tollgate " c) in R && R["tollgate " c] > 0) {
      printf "%s- %s conns: Tollgate B / Tollgate: throughput %.2f, CPU per request %.2f×", sep, c,
        R["tollgate-b " c] / R["tollgate " c], (C["tollgate " c] > 0 ? C["tollgate-b " c] / C["tollgate " c] : 0)
      if (("nginx " c) in R && R["nginx " c] > 0) printf "; Tollgate B/nginx %.2f", R["tollgate-b " c] / R["nginx " c]
    }
    if (("tollgate-routed " c) in R && ("tollgate " c) in R && R["tollgate " c] > 0) {
      printf "%s- %s conns: routed (tier + two-deployment route) / plain Tollgate: throughput %.2f, CPU per request %.2f×", sep, c,
        R["tollgate-routed " c] / R["tollgate " c], (C["tollgate " c] > 0 ? C["tollgate-routed " c] / C["tollgate " c] : 0)
      if (("nginx " c) in R && R["nginx " c] > 0) printf "; routed Tollgate/nginx %.2f", R["tollgate-routed " c] / R["nginx " c]
    }
    print ""
  }
}
