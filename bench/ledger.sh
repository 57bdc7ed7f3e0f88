#!/usr/bin/env bash
# The ledger at scale: fill one with realistic traffic, then time report queries on it.
#   bench/ledger.sh generate 10000000 /tmp/tollgate-10m     # ingest through the real writer, prints rows/s
#   bench/ledger.sh query /tmp/tollgate-10m [JMH args]      # ReportQueryBenchmark on that ledger (p50 per query)
#   bench/ledger.sh history /tmp/gen1 1000000 60 2026-11-26T00:00:00Z   # LedgerGenerator: four teams' history, for plan forecast/whatif
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME="$(./tollgate --java-home)"
MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" JAVA_HOME="$JAVA_HOME" \
  ./mvnw -B -q -Dmaven.test.skip=true package -pl bench -am
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
case "${1:-}" in
  generate) shift; exec "$JAVA_HOME/bin/java" -Xmx4g --enable-native-access=ALL-UNNAMED -cp "$CP" dev.tollgate.bench.LedgerDataGenerator "$@" ;;
  history) shift; exec "$JAVA_HOME/bin/java" -Xmx4g --enable-native-access=ALL-UNNAMED -cp "$CP" dev.tollgate.bench.LedgerGenerator "$@" ;;
  query) dir="$2"; shift 2; exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" org.openjdk.jmh.Main ReportQueryBenchmark -p data="$dir" "$@" ;;
  *) echo "usage: bench/ledger.sh generate ROWS DIR [DAYS] | history DIR ROWS DAYS [END_INSTANT] | query DIR [JMH args]" >&2; exit 2 ;;
esac
