#!/usr/bin/env bash
# Benchmarks jloss against PyTorch (through DJL), ND4J and the machine's memory-copy bandwidth, in one
# run, and writes docs/BENCHMARKS.md, docs/benchmarks.png and the raw docs/benchmarks-results.tsv.
#
#   scripts/bench.sh                      quick sizes (every array far larger than the caches; minutes)
#   scripts/bench.sh --full               the issue's sizes (10^8 floats, CE 4096x32000 and 512x128000, ...)
#   scripts/bench.sh --losses mse_loss,cross_entropy --impls jloss-cpu,jloss-cpu-jdk25,pytorch
#   THREADS=1 scripts/bench.sh            every implementation on one thread
#   XMX=12g scripts/bench.sh --full       heap of every JVM (--full needs about 12g)
#   PROFILE=0 scripts/bench.sh            skip the profile of the worst jloss ops
#   FRESH_MEMORY=1 scripts/bench.sh       let freed memory go back to the OS (see GLIBC_TUNABLES below)
#   OUT=/tmp/bench scripts/bench.sh ...   write the page and its data there instead of docs/ (test runs)
#   JDK25_HOME=/opt/jdk-25 scripts/bench.sh   the JDK of the jloss-cpu-jdk25 column
#                                         (default /usr/lib/jvm/temurin-25-jdk-amd64; missing: skipped, with the reason)
# Other options go to dev.jloss.bench.Suite: --forks N --warmup N --iterations N --time-ms N --xmx 6g
#   --impls LIST   default jloss-cpu,jloss-cpu-jdk25,jloss-opencl,pytorch,nd4j; also jloss-cuda, and
#                  jloss-cpu-alloc (the allocating calls; jloss-* are timed with the into calls)
#   --alloc LIST   loss:OP pairs rerun under JMH's GC profiler for bytes allocated per call, on every
#                  jloss CPU implementation (default mse_loss:FUSED,cross_entropy:FUSED,nll_loss:BACKWARD;
#                  --alloc none skips it)
#   --check-only   build and compare every implementation, time nothing
#
# Every JVM that runs jloss gets --add-modules jdk.incubator.vector (the CPU backend's SIMD path); the
# page records the path each JDK took (cpu_path). The suite itself runs on the `java` on PATH (JDK 17).
#
# The benchmark module (benchmarks/, JMH 1.37) is not part of the root build: `mvn test` never
# compiles it nor downloads its peers. The first run downloads them from Maven Central (DJL's
# libtorch CPU jar ~110 MB, nd4j-native ~90 MB); nothing is downloaded while benchmarking (DJL offline).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-$(nproc)}
PROFILE=${PROFILE:-1}
OUT=${OUT:-docs}
MAVEN_OPTS_Q=(-q -B)

echo "== building jloss and the benchmark module"
mvn "${MAVEN_OPTS_Q[@]}" -DskipTests install
(cd benchmarks && mvn "${MAVEN_OPTS_Q[@]}" compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
# jloss from this checkout's target/classes, not from ~/.m2: the local repository is shared, and another
# checkout's `mvn install` between the build above and the run would swap the library measured
CP="benchmarks/target/classes:$(tr ':' '\n' < benchmarks/target/classpath.txt \
  | sed "s|.*/dev/jloss/jloss/[^/]*/jloss-[^/]*\.jar\$|$PWD/target/classes|" | paste -sd:)"

# The same thread count everywhere: jloss CPU (fork-join pool, set per fork by the suite), PyTorch
# (ai.djl.pytorch.num_threads, set by the suite), ND4J (OpenMP), PoCL (its pthread device).
export OMP_NUM_THREADS=$THREADS POCL_MAX_PTHREAD_COUNT=$THREADS POCL_CPU_MAX_CU_COUNT=$THREADS
export JLOSS_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src kernels-cl kernels-cu benchmarks scripts/bench.sh 2>/dev/null || echo -dirty)"
# DJL: natives from the pytorch-native-cpu jar on the class path, never a download
export DJL_OFFLINE=true PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu

# Freed memory stays in the process: on a VM where a first touch of a page is slow, a peer that
# allocates per call would otherwise be timed mostly on page faults (the suite probes and reports it).
if [ "${FRESH_MEMORY:-0}" != 1 ]; then
  # one arena: a 64 MiB block freed by one thread is reused by the next call (per-thread arenas trim it)
  export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736:glibc.malloc.arena_max=1
fi

# PoCL's LLVM replaces the JVM's SIGSEGV handler (the suite JVM died with exit 139 once): libjsig keeps
# the JVM's first. Inherited by every worker JVM.
JSIG="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/libjsig.so"
[ -f "$JSIG" ] && export LD_PRELOAD="$JSIG${LD_PRELOAD:+:$LD_PRELOAD}"

JAVA=(java -Xmx"${XMX:-6g}" --add-modules jdk.incubator.vector -Djava.awt.headless=true -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error -cp "$CP")
mkdir -p "$OUT"
echo "== running the suite on $THREADS threads (JDK 25 for -jdk25: ${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64})"
"${JAVA[@]}" dev.jloss.bench.Suite --threads "$THREADS" --xmx "${XMX:-6g}" --out "$OUT" "$@"
if [ "$PROFILE" != 0 ]; then
  echo "== profiling the jloss ops furthest behind"
  "${JAVA[@]}" dev.jloss.bench.Profile "$OUT" --threads "$THREADS"
fi
echo "== done: $OUT/BENCHMARKS.md, $OUT/benchmarks.png"
