#!/usr/bin/env bash
# Builds the test-only CUDA driver emulator, OUT_DIR/libcuda.so.1 (src/test/native/cuda-emulator):
# kernels-cu/*.cu compiled by the host C++ compiler, behind the driver API that CudaBackend calls
# through JCuda. The second surefire run puts OUT_DIR on LD_LIBRARY_PATH, so the real CUDA backend,
# JCuda's native and the CUDA-dialect kernels run the test suite on a machine without a GPU.
# Never on a library path outside those tests: it is not a GPU. Called by Maven (generate-test-resources).
# Usage: scripts/build-cuda-emulator.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/cuda-emulator}"
src="$root/src/test/native/cuda-emulator"
CXX="${CXX:-g++}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "[jloss] $CXX not found: the CUDA emulator is not built and the cuda-emulator test run skips (install g++)"
  exit 0
fi
mkdir -p "$out"
lib="$out/libcuda.so.1"
if [[ -f "$lib" ]] && [[ -z "$(find "$src" "$root/kernels-cu" "$root/kernels-cl" "$0" -newer "$lib" -type f 2>/dev/null)" ]]; then
  echo "[jloss] CUDA emulator up to date: $lib"
  exit 0
fi
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
for f in "$root"/kernels-cu/*.cu; do echo "#include \"$(basename "$f")\""; done > "$gen/all_kernels.inc"
# Every KERNEL the .cu files bring in, as JL_KERNEL(name) for the emulator's name table.
"$CXX" -std=c++17 -E -P -I "$src" -I "$gen" -I "$root/kernels-cu" -I "$root/kernels-cl" \
  -include "$src/cuda_host.h" -x c++ "$gen/all_kernels.inc" \
  | grep -o 'extern "C" *void *[A-Za-z_][A-Za-z0-9_]* *(' \
  | sed -E 's/extern "C" *void *([A-Za-z0-9_]+) *\(/JL_KERNEL(\1)/' | sort -u > "$gen/kernels.inc"
if [[ ! -s "$gen/kernels.inc" ]]; then
  echo "[jloss] no kernels found in kernels-cu/" >&2
  exit 1
fi
"$CXX" -std=c++17 -O2 -g -fPIC -shared -Wall -Wno-unused-function -fno-ipa-reference \
  -I "$src" -I "$gen" -I "$root/kernels-cu" -I "$root/kernels-cl" \
  -Wl,-soname,libcuda.so.1 -o "$lib.tmp" "$src/kernels.cpp" "$src/driver.cpp"
# The emulator must catch the faults it claims to (planted in selftest.cpp) before the tests trust it.
"$CXX" -std=c++17 -O2 -g -Wall -Wno-unused-function -fno-ipa-reference -I "$src" -I "$root/kernels-cl" \
  -o "$gen/selftest" "$src/selftest.cpp" "$src/driver.cpp"
"$gen/selftest" 2>/dev/null
mv "$lib.tmp" "$lib"
echo "[jloss] built the CUDA emulator: $lib ($(wc -l < "$gen/kernels.inc") kernels)"
