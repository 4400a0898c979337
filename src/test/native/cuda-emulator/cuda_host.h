/*
 * cuda_host.h: the CUDA C++ built-ins jloss's kernels use, defined for the host compiler, so that
 * kernels-cu/ compile with g++ into the test-only CUDA emulator (driver.cpp). Each CUDA thread
 * is a fiber; __syncthreads and the warp shuffles are the only places a fiber yields.
 */
#ifndef JLOSS_CUDA_HOST_H
#define JLOSS_CUDA_HOST_H
#include <cmath>
#include <climits>
#include <cstdint>

#define __CUDACC__ 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
/* One block runs at a time, so a function-local static is exactly the block's shared memory. */
#define __shared__ static

struct jl_dim3 { unsigned int x, y, z; };
extern "C" {
extern jl_dim3 threadIdx, blockIdx, blockDim, gridDim;
void jl_emu_syncthreads(void);
/* Exchanges 8 bytes with the warp: returns lane (own lane + delta)'s value, or v past the warp's end. */
uint64_t jl_emu_shfl_down(unsigned int mask, uint64_t v, unsigned int delta);
}

/*
 * A fiber switch inside these calls changes memory the compiler could otherwise keep in registers
 * across them: a __shared__ variable (a static whose address never escapes, so GCC may assume an
 * outside function cannot touch it). The empty asm with a "memory" clobber forbids that; the
 * build adds -fno-ipa-reference for the same reason.
 */
inline void jl_emu_barrier() {
    __asm__ __volatile__("" ::: "memory");
    jl_emu_syncthreads();
    __asm__ __volatile__("" ::: "memory");
}
#define __syncthreads() jl_emu_barrier()

template <class T> inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta) {
    static_assert(sizeof(T) <= 8, "shuffle of more than 8 bytes");
    uint64_t bits = 0;
    __builtin_memcpy(&bits, &v, sizeof(T));
    __asm__ __volatile__("" ::: "memory");
    bits = jl_emu_shfl_down(mask, bits, delta);
    __asm__ __volatile__("" ::: "memory");
    T out;
    __builtin_memcpy(&out, &bits, sizeof(T));
    return out;
}

/* Fibers never run concurrently, so a plain read-modify-write is atomic here. */
inline int atomicMin(int *p, int v) { int old = *p; if (v < old) *p = v; return old; }
inline int atomicAdd(int *p, int v) { int old = *p; *p = old + v; return old; }

/* CUDA's device min/max overloads for mixed integer widths. */
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
using std::fabs; using std::exp; using std::log; using std::log1p; using std::sqrt; using std::pow;
using std::isnan; using std::isinf; using std::round; using std::floor; using std::ceil;

#endif
