#!/usr/bin/env bash
# The project's one test command: the core library's tests (`mvn install` runs them, then installs
# the core artifact the integration modules depend on), then the tests of every integration module
# (spark/, djl/, dl4j/: each its own Maven project depending on dev.jloss:jloss). benchmarks/ is not a
# test module (scripts/bench.sh runs it). Extra arguments go to every Maven call (e.g. -o, -B -ntp).
set -euo pipefail
cd "$(dirname "$0")/.."

mvn "$@" install
for module in spark djl dl4j; do
    if [ -f "$module/pom.xml" ]; then
        echo "[jloss tests] module $module"
        mvn "$@" -f "$module/pom.xml" test
    fi
done
