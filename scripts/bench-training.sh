#!/usr/bin/env bash
# A training step with the framework's own loss vs with jloss's, same model and batch, in DJL (PyTorch's
# CPU engine) and in Deeplearning4j (ND4J's CPU natives); writes docs/TRAINING_BENCHMARKS.md.
#
#   scripts/bench-training.sh                         MLP 256-512-1000, batch 256, on $THREADS threads (default 1)
#   THREADS=2 scripts/bench-training.sh 128 256 512 1000 7 20    batch features hidden classes rounds steps
#
# Not part of any test run. Builds the core (`mvn -DskipTests install`), then the djl/ and dl4j/ modules'
# test classes, where the benchmark mains live beside the engines they need (test scope).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-1}
ARGS=("${@:-256 256 512 1000 7 20}")
read -r -a ARGS <<< "${ARGS[*]}"
export OMP_NUM_THREADS=$THREADS DJL_OFFLINE=true PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu JLOSS_BACKEND=cpu

echo "== building jloss and the adapter modules"
mvn -q -B -ntp -DskipTests install
for m in djl dl4j; do
  mvn -q -B -ntp -f $m/pom.xml test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test
done
JAVA=(java -Xmx2g --add-modules jdk.incubator.vector -Djava.util.concurrent.ForkJoinPool.common.parallelism="$THREADS"
      -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
LOAD=$(cut -d' ' -f1 /proc/loadavg)
OUT=$(mktemp)
for m in djl dl4j; do
  echo "== $m"
  "${JAVA[@]}" -cp "$m/target/test-classes:$m/target/classes:$(cat $m/target/classpath.txt)" \
      "dev.jloss.$m.bench.TrainingStepBenchmark" "${ARGS[@]}" 2>/dev/null | grep -P '^(djl|dl4j)\t' | tee -a "$OUT"
done

{
  echo "# Training-step benchmarks: the framework's own loss vs jloss's"
  echo
  echo "Written by \`scripts/bench-training.sh\` on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)," \
       "$(getconf _NPROCESSORS_ONLN) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $THREADS thread(s) for every" \
       "library (PyTorch, ND4J/OpenMP, jloss's fork-join pool), load average before the run $LOAD. Median (and best) of ${ARGS[4]} rounds of" \
       "${ARGS[5]} steps after two rounds of warm-up; the loss-only rows run 5x as many calls."
  echo
  echo "A training step is forward, loss, backward and an SGD update of the same MLP on the same batch. In"
  echo "DJL the jloss row uses \`JlossLoss\` (jloss's fused cross-entropy, its gradient carried into DJL's"
  echo "autograd); in DL4J \`JlossLossFunction\` on identity logits vs \`LossMCXENT\` on softmax."
  echo "The ratio is jloss's time over the framework's: above 1 is the adapter's overhead."
  echo
  echo "| framework | what | implementation | median ms | best ms | ratio to the framework's loss |"
  echo "|---|---|---|---:|---:|---:|"
  awk -F'\t' '{ key=$1 FS $2; if (!(key in base)) base[key]=$4;
               printf "| %s | %s | %s | %.3f | %.3f | %.2f |\n", $1, $2, $3, $4, $5, $4/base[key] }' "$OUT"
  echo
  echo "Notes"
  echo
  echo "- DJL: per call the adapter copies each argument once out of libtorch's memory (a direct view) into a"
  echo "  reused Java array, runs one fused jloss pass into reused tensors, copies the gradient once into a"
  echo "  direct buffer that becomes an NDArray, and adds one dot product (its backward is one scale) to the graph."
  echo "  \"jloss alone\" is jloss's own share of that."
  echo "- DL4J calls \`computeScore\` and \`computeGradient\` separately in \`fit\` (two passes for any loss);"
  echo "  \`computeGradientAndScore\`, the loss-only row, is one jloss pass. Cross-entropy on identity logits"
  echo "  also runs DL4J's identity activation and its backprop, and copies in and out of ND4J's memory."
  echo "- A shared machine (a load average above its core count) makes every row noisy, jloss's own share"
  echo "  most visibly; compare rows of one run, and rerun on a quiet machine for numbers to quote."
} > docs/TRAINING_BENCHMARKS.md
rm -f "$OUT"
echo "== wrote docs/TRAINING_BENCHMARKS.md"
