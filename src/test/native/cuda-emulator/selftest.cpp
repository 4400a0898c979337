/*
 * selftest.cpp: the CUDA emulator must catch what it claims to catch. Planted faults, each of which
 * a GPU would run silently (or fault on later), must come back as the named CUDA error, and the
 * warp-shuffle sums must be right. scripts/build-cuda-emulator.sh builds and runs this against
 * driver.cpp before it installs libcuda.so.1; a miss fails the build.
 */
#include "cuda_host.h"
#include "reduce.h"
#include "emulator.h"

#include <cstdio>
#include <cstring>

typedef unsigned long long CUdeviceptr;
typedef int CUresult;
extern "C" {
CUresult cuInit(unsigned);
CUresult cuDevicePrimaryCtxRetain(void **, int);
CUresult cuCtxSetCurrent(void *);
CUresult cuMemAllocAsync(CUdeviceptr *, size_t, void *);
CUresult cuMemFreeAsync(CUdeviceptr, void *);
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr, const void *, size_t, void *);
CUresult cuMemcpyDtoHAsync_v2(void *, CUdeviceptr, size_t, void *);
CUresult cuLaunchKernel(const jl_kernel_entry *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                        void *, void **, void **);
}

/* Block sums and maxima through the warp-shuffle path of reduce.h. */
KERNEL void sums(GLOBAL const double *in, GLOBAL double *out, jl_long n) {
    LOCAL acc_t scratch[WGS];
    jl_long i = GROUP_ID() * LOCAL_SIZE() + LOCAL_ID();
    acc_t s = group_sum(i < n ? in[i] : 0, scratch);
    acc_t m = group_max(i < n ? in[i] : -INFINITY, scratch);
    if (LOCAL_ID() == 0) {
        out[2 * GROUP_ID()] = s;
        out[2 * GROUP_ID() + 1] = m;
    }
}

/* Writes one element past the end of out. */
KERNEL void write_past_end(GLOBAL float *out, jl_long n) {
    jl_long i = GROUP_ID() * LOCAL_SIZE() + LOCAL_ID();
    if (i <= n) out[i] = 1;
}

/* Only the first warp reaches the barrier. */
KERNEL void divergent_barrier(GLOBAL float *out) {
    if (LOCAL_ID() < 32) BARRIER();
    out[0] = 1;
}

/* Reads its right neighbour's write with no barrier between: a race. */
KERNEL void missing_barrier(GLOBAL int *x) {
    jl_long i = LOCAL_ID();
    x[i] = (int) i + 1;
    int right = i + 1 < LOCAL_SIZE() ? x[i + 1] : 0;
    BARRIER();
    x[i] = right;
}

namespace {
int failures;
void expect(bool ok, const char *what) {
    std::printf("[cuda-emulator self-test] %s: %s\n", ok ? "ok  " : "MISS", what);
    failures += !ok;
}
} // namespace

extern "C" const jl_kernel_entry jl_kernels[] = {jl_entry("sums", &sums), jl_entry("write_past_end", &write_past_end),
                                                 jl_entry("divergent_barrier", &divergent_barrier),
                                                 jl_entry("missing_barrier", &missing_barrier)};
extern "C" const int jl_kernel_count = 4;

int main() {
    void *ctx;
    if (cuInit(0) || cuDevicePrimaryCtxRetain(&ctx, 0) || cuCtxSetCurrent(ctx)) return 2;
    const jl_kernel_entry *k_sums = &jl_kernels[0], *k_past = &jl_kernels[1], *k_div = &jl_kernels[2],
                          *k_race = &jl_kernels[3];

    const jl_long n = 1000;
    double host[n];
    double want_sum[4] = {0, 0, 0, 0}, want_max[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    for (jl_long i = 0; i < n; i++) {
        host[i] = (double) ((i * 7919) % 1009) - 500.0;
        want_sum[i / 256] += host[i];
        if (host[i] > want_max[i / 256]) want_max[i / 256] = host[i];
    }
    CUdeviceptr in, out;
    cuMemAllocAsync(&in, sizeof host, nullptr);
    cuMemAllocAsync(&out, 8 * sizeof(double), nullptr);
    cuMemcpyHtoDAsync_v2(in, host, sizeof host, nullptr);
    jl_long nn = n;
    void *p_sums[] = {&in, &out, &nn};
    bool sums_ok = cuLaunchKernel(k_sums, 4, 1, 1, 256, 1, 1, 0, nullptr, p_sums, nullptr) == 0;
    double got[8];
    cuMemcpyDtoHAsync_v2(got, out, sizeof got, nullptr);
    for (int b = 0; b < 4; b++) sums_ok = sums_ok && got[2 * b] == want_sum[b] && got[2 * b + 1] == want_max[b];
    expect(sums_ok, "warp-shuffle group_sum/group_max over 4 blocks of 256");

    CUdeviceptr f;
    cuMemAllocAsync(&f, 100 * sizeof(float), nullptr);
    jl_long hundred = 100;
    void *p_past[] = {&f, &hundred};
    expect(cuLaunchKernel(k_past, 1, 1, 1, 256, 1, 1, 0, nullptr, p_past, nullptr) == 700,
           "a write one element past an allocation -> CUDA_ERROR_ILLEGAL_ADDRESS");

    void *p_div[] = {&f};
    expect(cuLaunchKernel(k_div, 1, 1, 1, 256, 1, 1, 0, nullptr, p_div, nullptr) == 719,
           "__syncthreads reached by one warp of eight -> CUDA_ERROR_LAUNCH_FAILED");

    CUdeviceptr x;
    cuMemAllocAsync(&x, 256 * sizeof(int), nullptr);
    void *p_race[] = {&x};
    int first[256], second[256], zeros[256] = {0};
    cuMemcpyHtoDAsync_v2(x, zeros, sizeof zeros, nullptr);
    cuLaunchKernel(k_race, 1, 1, 1, 256, 1, 1, 0, nullptr, p_race, nullptr);
    cuMemcpyDtoHAsync_v2(first, x, sizeof first, nullptr);
    cuMemcpyHtoDAsync_v2(x, zeros, sizeof zeros, nullptr); // the same input again
    cuLaunchKernel(k_race, 1, 1, 1, 256, 1, 1, 0, nullptr, p_race, nullptr);
    cuMemcpyDtoHAsync_v2(second, x, sizeof second, nullptr);
    expect(std::memcmp(first, second, sizeof first) != 0, "a missing barrier gives different results run to run");

    CUdeviceptr wild = f + 4096;
    void *p_wild[] = {&wild};
    expect(cuLaunchKernel(k_div, 1, 1, 1, 32, 1, 1, 0, nullptr, p_wild, nullptr) == 700,
           "a pointer argument outside every allocation -> CUDA_ERROR_ILLEGAL_ADDRESS");

    float big[101] = {0};
    expect(cuMemcpyHtoDAsync_v2(f, big, sizeof big, nullptr) == 1, "a copy past an allocation -> CUDA_ERROR_INVALID_VALUE");

    expect(cuMemFreeAsync(f, nullptr) == 0 && cuMemFreeAsync(f, nullptr) == 1, "a double free -> CUDA_ERROR_INVALID_VALUE");

    std::printf("[cuda-emulator self-test] %s\n", failures ? "FAILED" : "all planted faults caught");
    return failures ? 1 : 0;
}
