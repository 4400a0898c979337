#!/usr/bin/env bash
# The CUDA check for a lent GPU machine (no Java, no Maven, no network there).
#
#   scripts/gpu-check.sh --prepare   here: builds target/gpu-check/ (classes, test classes, golden data,
#                                    dependency jars with only JCuda's driver native, and a jlink'd
#                                    Java runtime from the Temurin 25 JDK) — well under 64 MiB.
#   scripts/gpu-check.sh --run       on the GPU machine, from the repository root, with
#                                    `carry: ["target/gpu-check"]`: runs the whole golden suite and
#                                    the finite-difference check on CUDA, the error-flag path, a
#                                    10,000-call leak loop and a short benchmark (beside PyTorch CUDA
#                                    when python3 with torch is there); writes $OUT/report.txt.
#   scripts/gpu-check.sh --run-local BACKEND   the same run here (cpu or opencl), to test the script.
#   scripts/gpu-check.sh --run-emulated        the --run command itself (backend cuda, the jlinked
#                                    runtime, JCuda's driver native) here, on the test-only CUDA
#                                    driver emulator: rehearses the GPU run, proves nothing about a GPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/gpu-check"
JDK25="${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"

prepare() {
  cd "$root"
  mvn -q -B -DskipTests package
  mvn -q -B test-compile
  rm -rf "$dir" && mkdir -p "$dir/lib"
  cp -r target/classes "$dir/classes"
  cp -r target/test-classes "$dir/test-classes"
  # the golden data travels with the working tree (src/test/resources): don't carry it twice
  rm -rf "$dir/test-classes/golden" "$dir/test-classes/degenerate" "$dir/test-classes/npy"
  mvn -q -B dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$dir/lib"
  # JCuda's natives jar holds NVRTC/runtime/PTX-compiler natives we never load (24 MB): keep the driver's only.
  for j in "$dir"/lib/jcuda-natives-*.jar; do
    tmp="$(mktemp -d)"; (cd "$tmp" && unzip -q "$j" 'lib/libJCudaDriver-*' && rm "$j" && zip -q -r "$j" lib); rm -rf "$tmp"
  done
  rm -f "$dir"/lib/junit-platform-launcher* "$dir"/lib/apiguardian*
  "$JDK25/bin/jlink" --add-modules java.base,java.logging,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --compress zip-9 --output "$dir/jre"
  ls "$dir/classes/kernels-cu/jloss.fatbin" >/dev/null || { echo "no CUDA fatbin built (nvcc missing?)"; exit 1; }
  du -sh "$dir" "$dir"/*
}

run() {
  local backend="$1" java="$2"
  local out="${OUT:-$root/target/gpu-check-out}"
  mkdir -p "$out"
  {
    echo "== gpu-check $(date -u +%FT%TZ) backend=$backend"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    # libjsig: PoCL's LLVM (--run-local opencl) would otherwise replace the JVM's SIGSEGV handler
    LD_PRELOAD="$(dirname "$(dirname "$java")")/lib/libjsig.so" \
      "$java" -Xmx8g --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$dir/classes:$dir/test-classes:$root/src/test/resources:$dir/lib/*" dev.jloss.GpuCheck "$backend"
    echo "exit status: $?"
  } 2>&1 | tee "$out/report.txt"
  if [[ "$backend" == cuda ]] && command -v python3 >/dev/null && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    python3 "$root/scripts/torch_cuda_bench.py" 2>&1 | tee "$out/torch.txt" || true
  fi
}

case "${1:-}" in
  --prepare) prepare ;;
  --run) cd "$root"; run cuda "$dir/jre/bin/java" ;;
  --run-local) cd "$root"; run "${2:-opencl}" "$dir/jre/bin/java" ;;
  --run-emulated)
    cd "$root"
    bash scripts/build-cuda-emulator.sh "$root/target/cuda-emulator"
    export LD_LIBRARY_PATH="$root/target/cuda-emulator${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    run cuda "$dir/jre/bin/java" ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
