/*
 * ctc_loss.cl: the CTC loss (PyTorch's torch.nn.CTCLoss) and its gradient with respect to
 * log_probs, as OpenCL C 1.2 and CUDA C through loss_terms.h's macros (kernels-cu/ctc_loss.cu
 * includes this file). The reference semantics are the CPU kernel's, dev.jloss.backend.cpu.CtcLossCpu.
 *
 * log_probs is (T, N, C) C-contiguous, element [t, n, c] at (t * N + n) * C + c; the gradient has the
 * same layout. l' is a sample's target with a blank before, between and after its L labels
 * (width 2L + 1); T' its input length.
 *
 * Work split:
 *   ctc_loss_offsets           one work-group: for concatenated targets, each sample's first label
 *                              (a prefix sum of target_lengths) and the checks on those lengths.
 *   ctc_loss_forward_backward  one work-group per sample (a grid-stride loop over the samples by
 *                              group), its work-items over the extended-label positions s = 0..2L,
 *                              one barrier per time step: the alpha recursion forward, then, for the
 *                              gradient, the beta recursion backward with the gradient row of each
 *                              time step written as soon as beta reaches it (work-items over the classes).
 *                              Writes the per-sample loss (reduction none) or its work-group's partial
 *                              sum, which reduce_partials (reduce.cl) adds in a fixed order.
 *
 * Device temporaries (64-bit offsets), by "cells": sample n owns cells [cb_n, cb_n + 2L_n + 1) with
 * cb_n = n * (2S + 1) for padded targets (S the padded length) and cb_n = 2 * offsets[n] + n for
 * concatenated ones (S their total length), so cells = N * (2S + 1) or 2S + N:
 *   work  (acc_t): alpha, rows x cells (rows = T for the gradient, which needs every step; 2 otherwise),
 *                  sample n's (rows, 2L+1) matrix at rows * cb_n; then beta, 2 x cells (two rows per sample).
 *   iwork (int):   l' (cells), the previous position with the same label (cells), and per work-group
 *                  the last position of each class in the current sample's l' (C).
 *
 * Data checks report through err (report_error: the lowest index wins), and the host rebuilds the
 * CPU backend's message from the index: n < N a negative target_lengths[n] (concatenated), N target
 * lengths whose sum is not the concatenated length, N + 1 + n anything wrong with sample n (its input
 * length, its padded target length, one of its labels). A flagged sample is skipped.
 */
#include "reduce.h"

/* flags bits: CTCLossDevice.Flags, by name (KernelContractTest) */
#define CTC_FLAG_CONCATENATED 1
#define CTC_FLAG_STORE_OUT 2
#define CTC_FLAG_PARTIALS 4
#define CTC_FLAG_GRAD 8
#define CTC_FLAG_ZERO_INFINITY 16
#define CTC_FLAG_MEAN 32
#define CTC_FLAG_GO_PER_SAMPLE 64

#define CTC_NEG_INF (-(acc_t) INFINITY)
#define CTC_LONG_MAX ((jl_long) 0x7fffffffffffffffL)

/* Length i of a lengths tensor stored as int64 (l64) or int32 (l32). */
DEVICE_FN jl_long ctc_loss_length(GLOBAL const jl_long *l64, GLOBAL const int *l32, jl_long i) {
    return l64 != 0 ? l64[i] : (jl_long) l32[i];
}

/* a + b for non-negative a and b; -1 once an operand is negative or the sum passes 2^63-1. */
DEVICE_FN jl_long ctc_loss_add_lengths(jl_long a, jl_long b) {
    if (a < 0 || b < 0) return -1;
    return b > CTC_LONG_MAX - a ? -1 : a + b;
}

/*
 * Element k of targets (int64, int32 or float32) as a label, or -1 when it is outside [0, classes)
 * or the blank. NOTE: float targets are truncated toward zero as PyTorch converts them to int64; the
 * range is tested on the float first, so NaN and out-of-range values never reach the conversion.
 */
DEVICE_FN jl_long ctc_loss_label(GLOBAL const jl_long *tg64, GLOBAL const int *tg32, GLOBAL const float *tgf,
                                 jl_long k, jl_long classes, jl_long blank) {
    jl_long label;
    if (tg64 != 0) {
        label = tg64[k];
    } else if (tg32 != 0) {
        label = tg32[k];
    } else {
        acc_t f = tgf[k];
        label = f > (acc_t) -1 && f < (acc_t) classes ? (jl_long) f : -1;
    }
    return label >= 0 && label < classes && label != blank ? label : -1;
}

/*
 * offsets[n] = target_lengths[0] + ... + target_lengths[n-1] (concatenated targets), with the CPU
 * backend's checks: a negative target_lengths[n] reports n; a total other than the targets' length
 * (or past 2^63-1) reports n_samples. Launched as one work-group: each work-item sums a contiguous
 * run of lengths, work-item 0 scans the runs' sums in order, each work-item writes its run's
 * offsets. A prefix past a negative length or 2^63-1 is written as -1; the main kernel skips it.
 */
KERNEL void ctc_loss_offsets(GLOBAL const jl_long *tl64, GLOBAL const int *tl32, jl_long n_samples,
                             jl_long total, GLOBAL jl_long *offsets, GLOBAL int *err) {
    LOCAL jl_long run_start[WGS];
    jl_long lid = LOCAL_ID();
    jl_long per = (n_samples + WGS - 1) / WGS;
    jl_long first = lid * per;
    jl_long last = first + per < n_samples ? first + per : n_samples;
    jl_long sum = 0;
    for (jl_long i = first; i < last; i++) {
        jl_long len = ctc_loss_length(tl64, tl32, i);
        if (len < 0) report_error(err, i);
        sum = ctc_loss_add_lengths(sum, len);
    }
    run_start[lid] = sum;
    BARRIER();
    if (lid == 0) {
        jl_long acc = 0;
        for (int k = 0; k < WGS; k++) {
            jl_long run = run_start[k];
            run_start[k] = acc;
            acc = ctc_loss_add_lengths(acc, run);
        }
        if (acc != total) report_error(err, n_samples);
    }
    BARRIER();
    jl_long off = run_start[lid];
    for (jl_long i = first; i < last; i++) {
        offsets[i] = off;
        off = ctc_loss_add_lengths(off, ctc_loss_length(tl64, tl32, i));
    }
}

/*
 * Per sample n, with y_t(k) = log_probs[t, n, k] and T' = input_lengths[n]:
 *   alpha_0(0) = y_0(blank), alpha_0(1) = y_0(l'_1), alpha_0(s) = -inf otherwise
 *   alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [l'_s != l'_{s-2}] alpha_{t-1}(s-2)) + y_t(l'_s)
 *   nll        = -logsumexp(alpha_{T'-1}(2L), alpha_{T'-1}(2L-1))    (T' = 0: 0 for L = 0, else +inf)
 *   loss       = 0 if zero_infinity and nll = +inf, else nll; mean divides it by max(L, 1)
 *   beta_{T'-1}(2L) = y(blank), beta_{T'-1}(2L-1) = y(l'_{2L-1}), -inf otherwise
 *   beta_t(s)  = logsumexp(beta_{t+1}(s), beta_{t+1}(s+1), [l'_{s+2} != l'_s] beta_{t+1}(s+2)) + y_t(l'_s)
 *   grad[t, n, c] = (exp(y_t(c)) - exp(lcab_t(c) + nll - y_t(c))) * gr   for t < T', 0 after
 *   lcab_t(c)  = log sum over s with l'_s = c of exp(alpha_t(s) + beta_t(s))
 *   gr         = go[n] (none), go[0] (sum), go[0] / N / max(L, 1) (mean); go absent: 1
 * PyTorch's gradient (with respect to the logits behind a log_softmax), as the CPU kernel.
 *
 * lcab in a fixed order, no atomics: the blank's (every even s) as a work-group logsumexp (group_max,
 * then group_sum); a label's by the work-item of class c, walking its positions from the last down
 * (s descending, the CPU kernel's order) through the per-sample previous-position links.
 *
 * NOTE: every barrier is reached by the whole work-group: the sample loop, the time loops and the
 * skip conditions depend only on the group and on values all its work-items read alike.
 * NOTE: alpha_t(s) is overwritten by alpha_t(s) + beta_t(s) once beta reaches step t; it is not read again.
 */
KERNEL void ctc_loss_forward_backward(
        GLOBAL const float *lp,
        GLOBAL const jl_long *tg64, GLOBAL const int *tg32, GLOBAL const float *tgf,
        GLOBAL const jl_long *il64, GLOBAL const int *il32,
        GLOBAL const jl_long *tl64, GLOBAL const int *tl32, GLOBAL const jl_long *offsets,
        jl_long max_time, jl_long n_samples, jl_long classes, jl_long blank, jl_long capacity, jl_long cells,
        int flags, GLOBAL acc_t *work, GLOBAL int *iwork,
        GLOBAL const float *go, GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL float *grad,
        GLOBAL int *err) {
    LOCAL acc_t scratch[WGS];
    LOCAL jl_long bad_sample;
    const jl_long lid = LOCAL_ID();
    const int want_grad = (flags & CTC_FLAG_GRAD) != 0;
    const jl_long rows = want_grad ? max_time : 2;
    const jl_long tstride = n_samples * classes;
    GLOBAL acc_t *beta_all = work + rows * cells;
    GLOBAL int *head = iwork + 2 * cells + GROUP_ID() * classes;
    acc_t partial = 0;
    if (lid == 0) bad_sample = -1;
    BARRIER();
    for (jl_long n = GROUP_ID(); n < n_samples; n += NUM_GROUPS()) {
        jl_long frames = ctc_loss_length(il64, il32, n);
        jl_long len = ctc_loss_length(tl64, tl32, n);
        int frames_ok = frames >= 0 && frames <= max_time;
        int len_ok;
        jl_long base; /* targets element of the first label */
        jl_long cb;   /* the sample's first cell */
        if (flags & CTC_FLAG_CONCATENATED) {
            base = offsets[n];
            /* NOTE: a bad length makes ctc_loss_offsets report (a lower index); here it only must not be read */
            len_ok = len >= 0 && base >= 0 && base <= capacity - len;
            cb = 2 * base + n;
        } else {
            len_ok = len >= 0 && len <= capacity;
            base = n * capacity;
            cb = n * (2 * capacity + 1);
        }
        if (lid == 0 && (!frames_ok || (!len_ok && !(flags & CTC_FLAG_CONCATENATED)))) {
            report_error(err, n_samples + 1 + n);
        }
        int ok = frames_ok && len_ok;
        if (ok) {
            const jl_long width = 2 * len + 1;
            const jl_long top = width - 1;
            GLOBAL int *ext = iwork + cb;
            GLOBAL int *prev = iwork + cells + cb;
            GLOBAL acc_t *alpha = work + rows * cb;
            GLOBAL acc_t *beta = beta_all + 2 * cb;
            GLOBAL const float *lp_n = lp + n * classes;
            for (jl_long j = lid; j < len; j += WGS) {
                jl_long label = ctc_loss_label(tg64, tg32, tgf, base + j, classes, blank);
                if (label < 0) {
                    report_error(err, n_samples + 1 + n);
                    bad_sample = n;
                    label = blank;
                }
                ext[2 * j + 1] = (int) label;
            }
            for (jl_long s = 2 * lid; s < width; s += 2 * WGS) ext[s] = (int) blank;
            if (want_grad) {
                for (jl_long c = lid; c < classes; c += WGS) head[c] = -1;
            }
            GLOBAL_BARRIER();
            if (bad_sample != n) {
                acc_t nll = -(len == 0 ? (acc_t) 0 : CTC_NEG_INF);
                if (frames > 0) {
                    if (want_grad) {
                        /* links between the positions of each label: the previous one, and the last per class */
                        for (jl_long j = lid; j < len; j += WGS) {
                            int label = ext[2 * j + 1];
                            int is_last = 1;
                            for (jl_long k = j + 1; k < len && is_last; k++) is_last = ext[2 * k + 1] != label;
                            int before = -1;
                            for (jl_long k = j - 1; k >= 0 && before < 0; k--) {
                                if (ext[2 * k + 1] == label) before = (int) (2 * k + 1);
                            }
                            prev[2 * j + 1] = before;
                            if (is_last) head[label] = (int) (2 * j + 1);
                        }
                    }
                    for (jl_long s = lid; s < width; s += WGS) {
                        alpha[s] = s == 0 ? (acc_t) lp_n[blank] : s == 1 ? (acc_t) lp_n[ext[1]] : CTC_NEG_INF;
                    }
                    GLOBAL_BARRIER();
                    for (jl_long t = 1; t < frames; t++) {
                        GLOBAL const acc_t *a_prev = alpha + (want_grad ? t - 1 : (t - 1) & 1) * width;
                        GLOBAL acc_t *a_cur = alpha + (want_grad ? t : t & 1) * width;
                        GLOBAL const float *y = lp_n + t * tstride;
                        for (jl_long s = lid; s < width; s += WGS) {
                            acc_t la1 = a_prev[s];
                            acc_t lamax = la1;
                            acc_t la2 = CTC_NEG_INF;
                            acc_t la3 = CTC_NEG_INF;
                            if (s > 0) {
                                la2 = a_prev[s - 1];
                                if (la2 > lamax) lamax = la2;
                            }
                            if (s > 1 && ext[s - 2] != ext[s]) {
                                la3 = a_prev[s - 2];
                                if (la3 > lamax) lamax = la3;
                            }
                            if (lamax == CTC_NEG_INF) lamax = 0; /* NOTE: avoids -inf - -inf = NaN */
                            a_cur[s] = jl_log(jl_exp(la1 - lamax) + jl_exp(la2 - lamax) + jl_exp(la3 - lamax))
                                    + lamax + (acc_t) y[ext[s]];
                        }
                        GLOBAL_BARRIER();
                    }
                    GLOBAL const acc_t *a_last = alpha + (want_grad ? frames - 1 : (frames - 1) & 1) * width;
                    acc_t l1 = a_last[top];
                    acc_t l2 = width > 1 ? a_last[top - 1] : CTC_NEG_INF;
                    acc_t m = l1 < l2 ? l2 : l1;
                    if (m == CTC_NEG_INF) m = 0;
                    nll = -(jl_log(jl_exp(l1 - m) + jl_exp(l2 - m)) + m);
                    /* every work-item has read a_last before the gradient loop overwrites it with alpha + beta */
                    if (want_grad) GLOBAL_BARRIER();
                }
                int zeroed = (flags & CTC_FLAG_ZERO_INFINITY) && nll == -CTC_NEG_INF;
                acc_t loss = zeroed ? (acc_t) 0 : nll;
                acc_t divisor = len > 1 ? (acc_t) len : (acc_t) 1;
                if (lid == 0) {
                    if (flags & CTC_FLAG_STORE_OUT) out[n] = (float) loss;
                    partial += (flags & CTC_FLAG_MEAN) ? loss / divisor : loss;
                }
                if (want_grad && frames > 0 && !zeroed) {
                    acc_t gr = go == 0 ? (acc_t) 1 : (acc_t) go[(flags & CTC_FLAG_GO_PER_SAMPLE) ? n : 0];
                    if (flags & CTC_FLAG_MEAN) gr = gr / (acc_t) n_samples / divisor;
                    for (jl_long t = frames - 1; t >= 0; t--) {
                        GLOBAL const float *y = lp_n + t * tstride;
                        GLOBAL acc_t *ab = alpha + t * width;
                        GLOBAL const acc_t *b_next = beta + ((t + 1) & 1) * width;
                        GLOBAL acc_t *b_cur = beta + (t & 1) * width;
                        acc_t blank_max = CTC_NEG_INF;
                        for (jl_long s = lid; s < width; s += WGS) {
                            int label = ext[s];
                            acc_t b;
                            if (t == frames - 1) {
                                b = s == top || s == top - 1 ? (acc_t) y[label] : CTC_NEG_INF;
                            } else {
                                acc_t lb1 = b_next[s];
                                acc_t lbmax = lb1;
                                acc_t lb2 = CTC_NEG_INF;
                                acc_t lb3 = CTC_NEG_INF;
                                if (s < top) {
                                    lb2 = b_next[s + 1];
                                    if (lb2 > lbmax) lbmax = lb2;
                                }
                                if (s < top - 1 && ext[s + 2] != label) {
                                    lb3 = b_next[s + 2];
                                    if (lb3 > lbmax) lbmax = lb3;
                                }
                                if (lbmax == CTC_NEG_INF) lbmax = 0;
                                b = jl_log(jl_exp(lb1 - lbmax) + jl_exp(lb2 - lbmax) + jl_exp(lb3 - lbmax)) + lbmax
                                        + (acc_t) y[label];
                            }
                            b_cur[s] = b;
                            acc_t v = ab[s] + b;
                            ab[s] = v;
                            if ((s & 1) == 0 && v > blank_max) blank_max = v;
                        }
                        /* the blank's lcab over every even s: a fixed-order work-group logsumexp */
                        acc_t bm = group_max(blank_max, scratch);
                        if (bm == CTC_NEG_INF) bm = 0;
                        acc_t bsum = 0;
                        for (jl_long s = lid; s < width; s += WGS) {
                            if ((s & 1) == 0) bsum += jl_exp(ab[s] - bm);
                        }
                        acc_t blank_lcab = jl_log(group_sum(bsum, scratch)) + bm;
                        GLOBAL_BARRIER();
                        GLOBAL float *g = grad + t * tstride + n * classes;
                        for (jl_long c = lid; c < classes; c += WGS) {
                            acc_t yc = y[c];
                            acc_t lcab = CTC_NEG_INF;
                            if (c == blank) {
                                lcab = blank_lcab;
                            } else {
                                for (jl_long s = head[c]; s >= 0; s = prev[s]) {
                                    acc_t x = ab[s];
                                    if (lcab == CTC_NEG_INF) {
                                        lcab = x;
                                    } else {
                                        acc_t mx = lcab < x ? x : lcab;
                                        lcab = jl_log(jl_exp(lcab - mx) + jl_exp(x - mx)) + mx;
                                    }
                                }
                            }
                            g[c] = (float) ((jl_exp(yc) - jl_exp(lcab + nll - yc)) * gr);
                        }
                    }
                }
            }
        }
        /* the next sample rewrites this group's class links and bad_sample */
        GLOBAL_BARRIER();
    }
    if ((flags & CTC_FLAG_PARTIALS) && lid == 0) partials[GROUP_ID()] = partial;
}
