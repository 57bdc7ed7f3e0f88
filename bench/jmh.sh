#!/usr/bin/env bash
# JMH micro-benchmarks of the request path's own work (pricing, reading usage, the ledger writer).
#   bench/jmh.sh                       # all benchmarks
#   bench/jmh.sh LedgerIngest -f 1     # any JMH arguments
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME="$(./tollgate --java-home)"
MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" JAVA_HOME="$JAVA_HOME" \
  ./mvnw -B -q -Dmaven.test.skip=true package -pl bench -am
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  org.openjdk.jmh.Main "$@"
