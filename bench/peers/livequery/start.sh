#!/usr/bin/env bash
# Starts the livequery gateway (embedded backend, no demo) in the foreground, for bench/run.
# SERVER_PORT (default 18080); JAVA_OPTS passed to the JVM (bench/run --profile adds JFR there).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
. "$root/bin/jdk" # a JDK >= 21: JAVA_HOME, PATH or /usr/lib/jvm
if [[ ! -f "$root/gateway/target/livequery-gateway.jar" ]]; then
  (cd "$root" && ./mvnw -B -q -DskipTests package) >&2
fi
export SERVER_PORT=${SERVER_PORT:-18080}
export LIVEQUERY_DEMO_ENABLED=false
# 10k-connection runs need more than the default 10,000 connections.
exec "$JAVA_HOME/bin/java" ${JAVA_OPTS:-} -Dlivequery.limits.max-connections=${LIVEQUERY_MAX_CONNECTIONS:-20000} \
  -jar "$root/gateway/target/livequery-gateway.jar"
