/*
 * loss_terms.h: the per-element math of jloss's losses, valid as OpenCL C 1.2 and as CUDA C, so
 * that the math tested on PoCL is the math that runs on CUDA. Kernels include it; a few macros
 * hide the two languages' spellings. Every function here mirrors a Java definition
 * (dev.jloss.loss.PointwiseTerm for the element-wise terms): keep them in step.
 *
 * real_t:  the type the terms are evaluated in (double where the device has fp64, else float;
 *          override with -DJL_REAL=float for speed on fp64-poor GPUs).
 * acc_t:   the type sums accumulate in (double where available).
 */
#ifndef JLOSS_LOSS_TERMS_H
#define JLOSS_LOSS_TERMS_H

#ifdef __OPENCL_VERSION__
  #define KERNEL __kernel
  #define GLOBAL __global
  #define LOCAL __local
  #define LOCAL_PTR __local /* a pointer parameter into local memory */
  #define CONSTANT __constant
  #define DEVICE_FN inline
  #define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
  #define GLOBAL_BARRIER() barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE)
  #define LOCAL_ID() ((long) get_local_id(0))
  #define GROUP_ID() ((long) get_group_id(0))
  #define LOCAL_SIZE() ((long) get_local_size(0))
  #define NUM_GROUPS() ((long) get_num_groups(0))
  #if defined(cl_khr_fp64)
    #pragma OPENCL EXTENSION cl_khr_fp64 : enable
    #define JL_HAS_FP64 1
  #endif
  typedef long jl_long;
  typedef int jl_int;
  #define JL_ATOMIC_MIN_INT(p, v) atomic_min((volatile GLOBAL int *) (p), (v))
  #define jl_fabs fabs
  #define jl_exp exp
  #define jl_log log
  #define jl_log1p log1p
  #define jl_tanh tanh
  #define jl_sqrt sqrt
  #define jl_pow pow
#else /* CUDA */
  #define KERNEL extern "C" __global__
  #define GLOBAL
  #define LOCAL __shared__
  #define LOCAL_PTR
  #define CONSTANT
  #define DEVICE_FN __device__ __forceinline__
  #define BARRIER() __syncthreads()
  #define GLOBAL_BARRIER() __syncthreads()
  #define LOCAL_ID() ((long long) threadIdx.x)
  #define GROUP_ID() ((long long) blockIdx.x)
  #define LOCAL_SIZE() ((long long) blockDim.x)
  #define NUM_GROUPS() ((long long) gridDim.x)
  #define JL_HAS_FP64 1
  typedef long long jl_long;
  typedef int jl_int;
  #define JL_ATOMIC_MIN_INT(p, v) atomicMin((int *) (p), (v))
  #define jl_fabs fabs
  #define jl_exp exp
  #define jl_log log
  #define jl_log1p log1p
  #define jl_tanh tanh
  #define jl_sqrt sqrt
  #define jl_pow pow
#endif

/*
 * FOR_EACH_ITEM(i, n): the loop giving a work-item its share of n items. GPUs take a grid-stride
 * loop (neighbouring work-items read neighbouring elements: coalesced). CPU devices (PoCL) are
 * built with -DJL_CHUNKED: each work-item takes one contiguous run, which PoCL vectorises and
 * streams; a grid-stride loop there measured 13x slower than a Java loop.
 */
#ifdef JL_CHUNKED
#define FOR_EACH_ITEM(i, n) \
    for (jl_long jl_per_ = ((n) + NUM_GROUPS() * LOCAL_SIZE() - 1) / (NUM_GROUPS() * LOCAL_SIZE()), \
         i = (GROUP_ID() * LOCAL_SIZE() + LOCAL_ID()) * jl_per_, \
         jl_end_ = i + jl_per_ < (n) ? i + jl_per_ : (n); i < jl_end_; i++)
#else
#define FOR_EACH_ITEM(i, n) \
    for (jl_long i = GROUP_ID() * LOCAL_SIZE() + LOCAL_ID(); i < (n); i += NUM_GROUPS() * LOCAL_SIZE())
#endif

#ifndef JL_REAL
  #ifdef JL_HAS_FP64
    #define JL_REAL double
  #else
    #define JL_REAL float
  #endif
#endif
typedef JL_REAL real_t;
#ifdef JL_HAS_FP64
typedef double acc_t;
#else
typedef float acc_t;
#endif

/* Element-wise term ids: the ordinals of dev.jloss.loss.PointwiseTerm (a test checks they agree). */
#define TERM_L1 0
#define TERM_MSE 1
#define TERM_SMOOTH_L1 2
#define TERM_HUBER 3
#define TERM_BCE 4
#define TERM_BCE_WITH_LOGITS 5
#define TERM_KL_DIV 6
#define TERM_KL_DIV_LOG_TARGET 7
#define TERM_POISSON_NLL_LOG_INPUT 8
#define TERM_POISSON_NLL 9
#define TERM_SOFT_MARGIN 10
#define TERM_MARGIN_RANKING 11
#define TERM_HINGE_EMBEDDING 12
#define TERM_GAUSSIAN_NLL 13

#define JL_LOG_2PI 1.8378770664093453

DEVICE_FN real_t jl_sign(real_t x) { return x > 0 ? (real_t) 1 : x < 0 ? (real_t) -1 : (real_t) 0; }
/* Java's Math.max (PyTorch's clamp_min): a NaN operand gives NaN */
DEVICE_FN real_t jl_max(real_t a, real_t b) { return a != a || b != b ? a + b : a > b ? a : b; }
DEVICE_FN real_t jl_sigmoid(real_t x) {
    return x >= 0 ? 1 / (1 + jl_exp(-x)) : jl_exp(x) / (1 + jl_exp(x));
}
/* log(1 + exp(x)) without overflow */
DEVICE_FN real_t jl_softplus(real_t x) { return jl_max(x, 0) + jl_log1p(jl_exp(-jl_fabs(x))); }
DEVICE_FN real_t jl_stirling(real_t full, real_t b) {
    return full != 0 && b > 1 ? b * jl_log(b) - b + (real_t) 0.5 * jl_log((real_t) 6.283185307179586 * b) : 0;
}

/* The loss of one element; a, b, c are the operands in PyTorch's argument order. */
DEVICE_FN real_t term_value(int term, real_t p0, real_t p1, real_t a, real_t b, real_t c, real_t pw) {
    real_t d = a - b;
    switch (term) {
    case TERM_L1: return jl_fabs(d);
    case TERM_MSE: return d * d;
    case TERM_SMOOTH_L1: {
        real_t ad = jl_fabs(d);
        return p0 == 0 ? ad : ad < p0 ? (real_t) 0.5 * ad * ad / p0 : ad - (real_t) 0.5 * p0;
    }
    case TERM_HUBER: {
        real_t ad = jl_fabs(d);
        return ad < p0 ? (real_t) 0.5 * ad * ad : p0 * (ad - (real_t) 0.5 * p0);
    }
    case TERM_BCE:
        return -(b * jl_max(jl_log(a), -100) + (1 - b) * jl_max(jl_log1p(-a), -100));
    case TERM_BCE_WITH_LOGITS: /* p0: pos_weight given; a - a: NaN at a = -inf, as PyTorch (inf - inf) */
        return (1 - b) * a + (p0 != 0 ? 1 + (pw - 1) * b : (real_t) 1)
                * (a == -INFINITY ? a - a : jl_softplus(-a));
    case TERM_KL_DIV:
        return (b == 0 ? (real_t) 0 : b * jl_log(b)) - b * a;
    case TERM_KL_DIV_LOG_TARGET: return jl_exp(b) * (b - a);
    case TERM_POISSON_NLL_LOG_INPUT: return jl_exp(a) - b * a + jl_stirling(p1, b);
    case TERM_POISSON_NLL: return a - b * jl_log(a + p0) + jl_stirling(p1, b);
    case TERM_SOFT_MARGIN: return jl_softplus(-b * a);
    case TERM_MARGIN_RANKING: return jl_max(0, -c * d + p0);
    case TERM_HINGE_EMBEDDING:
        return (b != 1 ? jl_max(0, p0 - a) : 0) + (b != -1 ? a : 0);
    case TERM_GAUSSIAN_NLL: {
        real_t v = jl_max(c, p0);
        return (real_t) 0.5 * (jl_log(v) + d * d / v) + (p1 != 0 ? (real_t) (0.5 * JL_LOG_2PI) : 0);
    }
    default: return 0;
    }
}

/* d term_value / d operand k (0 = a, 1 = b, 2 = c). */
DEVICE_FN real_t term_grad(int term, int k, real_t p0, real_t p1, real_t a, real_t b, real_t c, real_t pw) {
    real_t d = a - b;
    switch (term) {
    case TERM_L1: return jl_sign(d);
    case TERM_MSE: return 2 * d;
    /* NOTE: PyTorch's order (d <= -beta first): at beta = 0 a tie gets -1 and NaN stays NaN */
    case TERM_SMOOTH_L1: return d <= -p0 ? (real_t) -1 : d >= p0 ? (real_t) 1 : d / p0;
    case TERM_HUBER: return d <= -p0 ? -p0 : d >= p0 ? p0 : d;
    case TERM_BCE: {
        real_t den = (1 - a) * a;
        return d / (den > (real_t) 1e-12 ? den : (real_t) 1e-12);
    }
    case TERM_BCE_WITH_LOGITS: {
        if (p0 == 0) return jl_sigmoid(a) - b;
        real_t t = pw * b;
        return (t + 1 - b) * jl_sigmoid(a) - t;
    }
    case TERM_KL_DIV: return -b;
    case TERM_KL_DIV_LOG_TARGET: return -jl_exp(b);
    case TERM_POISSON_NLL_LOG_INPUT: return jl_exp(a) - b;
    case TERM_POISSON_NLL: return 1 - b / (a + p0);
    case TERM_SOFT_MARGIN: { /* z - z: NaN at -b a = +inf, PyTorch's e / (1 + e) is inf/inf */
        real_t z = -b * a;
        return z == INFINITY ? z - z : -b * jl_sigmoid(z);
    }
    case TERM_MARGIN_RANKING: { /* clamp_min's mask (false at NaN) times -c: 0 * NaN stays NaN */
        real_t pass = -c * d + p0 >= 0 ? (real_t) 1 : (real_t) 0;
        return pass * (k == 0 ? -c : c);
    }
    case TERM_HINGE_EMBEDDING:
        return (b != 1 && p0 - a >= 0 ? (real_t) -1 : (real_t) 0) + (b != -1 ? (real_t) 1 : (real_t) 0);
    case TERM_GAUSSIAN_NLL: {
        real_t v = jl_max(c, p0);
        return k == 0 ? d / v : (real_t) 0.5 * (1 / v - d * d / (v * v));
    }
    default: return 0;
    }
}

/* The operand PyTorch rejects at this element (0, 1, 2), or -1. */
DEVICE_FN int term_invalid_operand(int term, real_t a, real_t b, real_t c) {
    if (term == TERM_BCE) return a >= 0 && a <= 1 ? -1 : 0;
    if (term == TERM_GAUSSIAN_NLL) return c < 0 ? 2 : -1;
    return -1;
}

#endif
