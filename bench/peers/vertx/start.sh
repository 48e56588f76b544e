#!/usr/bin/env bash
# Starts the bare Vert.x 5 broadcast peer in the foreground (builds it first if needed).
# PORT (default 18081); JAVA_OPTS passed to the JVM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
. "$root/bin/jdk" # a JDK >= 21: JAVA_HOME, PATH or /usr/lib/jvm
if [[ ! -f "$here/target/peer-vertx.jar" ]]; then
  "$root/mvnw" -B -q -f "$here/pom.xml" package >&2
fi
exec "$JAVA_HOME/bin/java" ${JAVA_OPTS:-} -jar "$here/target/peer-vertx.jar"
