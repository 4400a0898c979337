/*
 * triplet_margin_loss.cl: PyTorch's triplet_margin_loss and triplet_margin_with_distance_loss
 * (family triplet_margin_loss), forward and the three operands' gradients in one launch
 * (dev.jloss.backend.cpu.TripletMarginLossCpu is the reference).
 *
 * Work split (pairwise_rows.h): one segment of seg work-items per row, WGS / seg rows per group,
 * groups striding over the rows. Per row:
 *   1. one segmented reduction gives the distances' sums (or extremes) for the pairs (a, p), (a, n)
 *      and, with swap, (p, n): the loss, written (reduction none) or added to the group's partial
 *      sum (finished by reduce_partials);
 *   2. only where gradients are wanted and a pair needs it: a second one gives, per pair, the count
 *      of elements at the norm (p = ±inf) and the sum of the gradient of an operand whose row
 *      length 1 broadcasts over the pair;
 *   3. each lane writes the gradient elements it owns, adding the pairs' contributions in the CPU
 *      kernel's order (a, p), (a, n), (p, n).
 * Gradients go to g_k at row r * cols_k: the gradient itself when an operand has every row, or a
 * (rows, cols_k) temporary the host folds into the broadcast operand's shape with broadcast_sum
 * (a fixed order: no float atomics). A row whose gradient is 0 is not written (the buffers start at 0).
 */
#include "pairwise_rows.h"

/* flags bits: TripletMarginLossDevice.Flags, by name (KernelContractTest) */
#define TRIPLET_FLAG_STORE_OUT 1
#define TRIPLET_FLAG_PARTIALS 2
#define TRIPLET_FLAG_GO_PER_ROW 4

/* The distance, picked by the host from dev.jloss.Distance: TripletMarginLossDevice.Distances (KernelContractTest). */
#define TRIPLET_DIST_P2 0      /* ||v||_2 */
#define TRIPLET_DIST_P1 1      /* sum |v| */
#define TRIPLET_DIST_PINF 2    /* max |v| */
#define TRIPLET_DIST_PNEGINF 3 /* min |v| */
#define TRIPLET_DIST_P0 4      /* #{v != 0} */
#define TRIPLET_DIST_PGENERAL 5 /* (sum |v|^p)^(1/p) */
#define TRIPLET_DIST_COSINE 6  /* 1 - <x, y> / (max(||x||, eps) max(||y||, eps)) */

/* The pairs: (x operand, y operand). */
#define TRIPLET_PAIR_X(q) ((q) == 2 ? 1 : 0)
#define TRIPLET_PAIR_Y(q) ((q) == 0 ? 1 : 2)

/*
 * a^e for a >= 0 (or NaN) and e != 0, as exp(e log a): the bases here are magnitudes, sums of
 * magnitudes or norms, and the exponents p, 1/p, p - 1, 1 - p, p - 2 of a general order p (never 0:
 * p = 0, 1, 2 and ±inf have their own kinds).
 * NOTE: PoCL's double pow measured 3.5x slower than exp + log, and pow is the general order's cost.
 */
DEVICE_FN real_t triplet_pow(real_t a, real_t e) { return jl_exp(e * jl_log(a)); }

/*
 * The norm's backward for one element, without the per-row factor (torch.norm's, as the CPU kernel):
 *   p = 1: sgn(v);  p = 2: v;  p = ±inf: sgn(v) [|v| = norm or v is NaN] (sgn(NaN) = 0, as PyTorch's);
 *   p < 1: sgn(v) |v|^(p-1) (0 where v = 0);  1 < p < 2: sgn(v) |v|^(p-1);  p > 2: v |v|^(p-2)
 */
DEVICE_FN real_t triplet_norm_factor(int kind, real_t p, real_t v, real_t norm) {
    real_t a = jl_fabs(v);
    switch (kind) {
    case TRIPLET_DIST_P1: return pair_sgn(v);
    case TRIPLET_DIST_P2: return v;
    case TRIPLET_DIST_PINF:
    case TRIPLET_DIST_PNEGINF: return a == norm || v != v ? pair_sgn(v) : (real_t) 0;
    default:
        if (p < 1) return v != 0 ? pair_signum(v) * triplet_pow(a, p - 1) : (real_t) 0;
        return p < 2 ? pair_signum(v) * triplet_pow(a, p - 1) : v * triplet_pow(a, p - 2);
    }
}

/*
 * With c_r the row's upstream gradient where margin + d(a, p) - d_neg >= 0 (else 0), and
 * d_neg = min(d(a, n), d(p, n)) with swap (the smaller takes the gradient, a tie splits it):
 *   loss_r = max(0, margin + d(a, p) - d_neg)
 *   pair coefficients: (a, p) c_r, (a, n) -c_r [share], (p, n) -c_r [share]
 *   p-norm pair (x, y), v = x - y + eps:  dx += K f(v), dy -= K f(v), f = triplet_norm_factor and
 *     K = c (p = 1), c / norm (p = 2), c / #{|v| = norm} (±inf), c norm^(1-p) (p < 1),
 *     c / norm^(p-1) (otherwise); nothing for p = 0, an empty row, or norm = 0 with finite p >= 1
 *   cosine pair: s = <x, y> / (nx ny), nx = max(||x||, eps):
 *     dx += -c y / (nx ny) + c s x / nx^2, dy likewise (PyTorch 1.13's clamped-norm backward)
 * upstream: go[r] (flags & TRIPLET_FLAG_GO_PER_ROW), else (go ? go[0] : 1) / divisor.
 * Double options (p, eps, margin) arrive as float hi + lo pairs.
 * NOTE: NaN follows Java's Math.max/min: a NaN distance makes the loss NaN. As PyTorch's autograd, a
 * row with a non-finite distance backpropagates its zero coefficients too (every pair is on): 0 times
 * a NaN or inf of the row is NaN.
 */
KERNEL void triplet_margin_loss_forward_backward(
        GLOBAL const float *anchor, GLOBAL const float *positive, GLOBAL const float *negative,
        GLOBAL const jl_long *meta, jl_long rows, jl_long ca, jl_long cp, jl_long cn, jl_long seg_hint,
        int kind, float p_hi, float p_lo, float eps_hi, float eps_lo, float margin_hi, float margin_lo, int swap,
        int flags, GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL const float *go, jl_long divisor,
        GLOBAL float *ga, GLOBAL float *gp, GLOBAL float *gn) {
    LOCAL acc_t scratch[PAIR_MAX_VALUES * WGS];
    GLOBAL const float *xs[3] = {anchor, positive, negative};
    GLOBAL float *gs[3] = {ga, gp, gn};
    const jl_long cols[3] = {ca, cp, cn};
    const jl_long seg = PAIR_SEGMENT(seg_hint);
    const jl_long lane = LOCAL_ID() & (seg - 1);
    const jl_long per_group = WGS / seg;
    const real_t p = pair_real(p_hi, p_lo);
    const real_t eps = pair_real(eps_hi, eps_lo);
    const real_t margin = pair_real(margin_hi, margin_lo);
    const int cosine = kind == TRIPLET_DIST_COSINE;
    const int extreme = kind == TRIPLET_DIST_PINF || kind == TRIPLET_DIST_PNEGINF;
    const int npairs = swap ? 3 : 2;
    const int want_grad = ga != 0 || gp != 0 || gn != 0;
    /* every operand has the same row length: every pair reads all three with step 1 */
    const int same_length = ca == cp && cp == cn;
    const real_t go_scalar =
            (go != 0 && !(flags & TRIPLET_FLAG_GO_PER_ROW) ? (real_t) go[0] : (real_t) 1) / (real_t) divisor;
    /* each pair's broadcast length and the steps its x and y rows are read with (0: re-read) */
    jl_long len[3];
    jl_long sx[3];
    jl_long sy[3];
    int second = want_grad && extreme;
    for (int q = 0; q < 3; q++) {
        jl_long cx = cols[TRIPLET_PAIR_X(q)];
        jl_long cy = cols[TRIPLET_PAIR_Y(q)];
        len[q] = cx == 1 ? cy : cx;
        sx[q] = cx == len[q] ? 1 : 0;
        sy[q] = cy == len[q] ? 1 : 0;
        if (q < npairs && (!sx[q] || !sy[q])) second = second || want_grad;
    }
    const int op = kind == TRIPLET_DIST_PINF ? PAIR_MAX : kind == TRIPLET_DIST_PNEGINF ? PAIR_MIN : PAIR_SUM;
    const int nv = cosine ? 3 * npairs : npairs;
    acc_t loss_sum = 0;
    for (jl_long first = GROUP_ID() * per_group; first < rows; first += NUM_GROUPS() * per_group) {
        const jl_long r = first + LOCAL_ID() / seg;
        const int live = r < rows;
        jl_long off[3] = {0, 0, 0};
        /* 1. per pair: the norm's sum or extreme; cosine: <x, y>, ||x||^2, ||y||^2 */
        acc_t v[PAIR_MAX_VALUES];
        for (int k = 0; k < PAIR_MAX_VALUES; k++) v[k] = kind == TRIPLET_DIST_PNEGINF ? (acc_t) INFINITY : (acc_t) 0;
        if (live) {
            for (int k = 0; k < 3; k++) off[k] = pair_row_offset(meta, k, r, cols[k]);
            for (int q = 0; q < 3; q++) {
                if (q >= npairs) break;
                GLOBAL const float *x = xs[TRIPLET_PAIR_X(q)] + off[TRIPLET_PAIR_X(q)];
                GLOBAL const float *y = xs[TRIPLET_PAIR_Y(q)] + off[TRIPLET_PAIR_Y(q)];
                const jl_long stx = sx[q];
                const jl_long sty = sy[q];
                acc_t s0 = v[cosine ? 3 * q : q];
                acc_t s1 = 0;
                acc_t s2 = 0;
                FOR_EACH_IN_ROW(d, len[q], lane, seg) {
                    real_t u = x[d * stx];
                    real_t w = y[d * sty];
                    if (cosine) {
                        s0 += u * w;
                        s1 += u * u;
                        s2 += w * w;
                    } else {
                        real_t t = u - w + eps;
                        real_t a = jl_fabs(t);
                        switch (kind) {
                        case TRIPLET_DIST_P2: s0 += t * t; break;
                        case TRIPLET_DIST_P1: s0 += a; break;
                        case TRIPLET_DIST_PINF: s0 = pair_combine(PAIR_MAX, s0, a); break;
                        case TRIPLET_DIST_PNEGINF: s0 = pair_combine(PAIR_MIN, s0, a); break;
                        case TRIPLET_DIST_P0: s0 += t != 0 ? 1 : 0; break;
                        default: s0 += triplet_pow(a, p); break;
                        }
                    }
                }
                if (cosine) {
                    v[3 * q] = s0;
                    v[3 * q + 1] = s1;
                    v[3 * q + 2] = s2;
                } else {
                    v[q] = s0;
                }
            }
        }
        pair_seg_reduce(v, nv, op, seg, scratch);
        real_t dist[3] = {0, 0, 0};
        real_t sim[3] = {0, 0, 0};
        real_t nxc[3] = {1, 1, 1};
        real_t nyc[3] = {1, 1, 1};
        for (int q = 0; q < 3; q++) {
            if (q >= npairs) break;
            if (cosine) {
                nxc[q] = pair_max(jl_sqrt((real_t) v[3 * q + 1]), eps);
                nyc[q] = pair_max(jl_sqrt((real_t) v[3 * q + 2]), eps);
                sim[q] = v[3 * q] / (nxc[q] * nyc[q]);
                dist[q] = 1 - sim[q];
            } else if (len[q] == 0) {
                dist[q] = 0;
            } else if (kind == TRIPLET_DIST_P2) {
                dist[q] = jl_sqrt((real_t) v[q]);
            } else if (kind == TRIPLET_DIST_PGENERAL) {
                dist[q] = triplet_pow((real_t) v[q], 1 / p);
            } else {
                dist[q] = v[q];
            }
        }
        const real_t dan = dist[1];
        const real_t dsw = dist[2];
        const real_t z = margin + dist[0] - (swap ? pair_min(dan, dsw) : dan);
        if (live && lane == 0) {
            real_t l = pair_clamp0(z);
            if (flags & TRIPLET_FLAG_STORE_OUT) out[r] = (float) l;
            loss_sum += l;
        }
        real_t c = 0;
        if (live && want_grad && z >= 0) {
            c = (flags & TRIPLET_FLAG_GO_PER_ROW) ? (go != 0 ? (real_t) go[r] : (real_t) 1) : go_scalar;
        }
        int finite = 1;
        for (int q = 0; q < 3; q++) {
            if (q < npairs && !(jl_fabs(dist[q]) < INFINITY)) finite = 0;
        }
        /* each pair's coefficient, whether it gives a gradient (on) and, for a p-norm, its factor K */
        real_t coef[3];
        coef[0] = c;
        coef[1] = swap ? -c * (dan > dsw ? (real_t) 0 : dan == dsw ? (real_t) 0.5 : (real_t) 1) : -c;
        coef[2] = swap ? -c * (dan < dsw ? (real_t) 0 : dan == dsw ? (real_t) 0.5 : (real_t) 1) : (real_t) 0;
        real_t scale[3] = {0, 0, 0};
        int on[3];
        for (int q = 0; q < 3; q++) on[q] = q < npairs && (coef[q] != 0 || !finite);
        for (int q = 0; q < 3; q++) {
            real_t cq = coef[q];
            real_t norm = dist[q];
            if (!on[q] || cosine) {
                continue;
            }
            if (kind == TRIPLET_DIST_P0 || len[q] == 0 || (p >= 1 && norm == 0 && !extreme)) {
                on[q] = 0;
            } else if (kind == TRIPLET_DIST_P1 || extreme) {
                scale[q] = cq; /* ±inf: divided by the count below */
            } else if (kind == TRIPLET_DIST_P2) {
                scale[q] = cq / norm;
            } else if (p < 1) {
                scale[q] = cq * triplet_pow(norm, 1 - p);
            } else {
                scale[q] = cq / triplet_pow(norm, p - 1);
            }
        }
        /* 2. per pair: #{|v| = norm} (±inf) and the gradient summed over a broadcast (step 0) side */
        acc_t red[PAIR_MAX_VALUES] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
        if (second) {
            for (int q = 0; q < 3; q++) {
                if (!live || !on[q]) continue;
                GLOBAL const float *x = xs[TRIPLET_PAIR_X(q)] + off[TRIPLET_PAIR_X(q)];
                GLOBAL const float *y = xs[TRIPLET_PAIR_Y(q)] + off[TRIPLET_PAIR_Y(q)];
                const jl_long stx = sx[q];
                const jl_long sty = sy[q];
                const real_t cross = -coef[q] / (nxc[q] * nyc[q]);
                const real_t self_x = coef[q] * sim[q] / (nxc[q] * nxc[q]);
                const real_t self_y = coef[q] * sim[q] / (nyc[q] * nyc[q]);
                acc_t count = 0;
                acc_t sum = 0;
                FOR_EACH_IN_ROW(d, len[q], lane, seg) {
                    real_t u = x[d * stx];
                    real_t w = y[d * sty];
                    if (cosine) {
                        sum += !stx ? cross * w + self_x * u : !sty ? cross * u + self_y * w : (real_t) 0;
                    } else {
                        real_t t = u - w + eps;
                        if (extreme) count += jl_fabs(t) == dist[q] || t != t ? 1 : 0;
                        sum += triplet_norm_factor(kind, p, t, dist[q]);
                    }
                }
                red[2 * q] = count;
                red[2 * q + 1] = sum;
            }
            pair_seg_reduce(red, 2 * npairs, PAIR_SUM, seg, scratch);
        }
        /* NOTE: a row past the end (live == 0) holds no distances (±inf for the min norm): never written */
        if (!live || (c == 0 && finite)) continue;
        if (extreme) {
            for (int q = 0; q < 3; q++) scale[q] = red[2 * q] > 0 ? scale[q] / (real_t) red[2 * q] : (real_t) 0;
        }
        /* 3. each lane writes the gradient elements it owns, the pairs added in the CPU kernel's order */
        if (same_length) {
            /* every pair's element d is every operand's element d: each pair's term once, to both sides */
            FOR_EACH_IN_ROW(e, ca, lane, seg) {
                real_t u[3];
                real_t acc[3] = {0, 0, 0};
                for (int k = 0; k < 3; k++) u[k] = xs[k][off[k] + e];
                for (int q = 0; q < 3; q++) {
                    if (!on[q]) continue;
                    const int i = TRIPLET_PAIR_X(q);
                    const int j = TRIPLET_PAIR_Y(q);
                    if (cosine) {
                        real_t cross = -coef[q] / (nxc[q] * nyc[q]);
                        acc[i] += cross * u[j] + coef[q] * sim[q] / (nxc[q] * nxc[q]) * u[i];
                        acc[j] += cross * u[i] + coef[q] * sim[q] / (nyc[q] * nyc[q]) * u[j];
                    } else {
                        real_t t = scale[q] * triplet_norm_factor(kind, p, u[i] - u[j] + eps, dist[q]);
                        acc[i] += t;
                        acc[j] -= t;
                    }
                }
                for (int k = 0; k < 3; k++) {
                    if (gs[k] != 0) gs[k][r * ca + e] = (float) acc[k];
                }
            }
            continue;
        }
        for (int k = 0; k < 3; k++) {
            GLOBAL float *g = gs[k];
            if (g == 0) continue;
            FOR_EACH_IN_ROW(e, cols[k], lane, seg) {
                real_t acc = 0;
                for (int q = 0; q < 3; q++) {
                    const int side = TRIPLET_PAIR_X(q) == k ? 0 : TRIPLET_PAIR_Y(q) == k ? 1 : -1;
                    if (side < 0 || !on[q]) continue;
                    if (side == 0 ? !sx[q] : !sy[q]) {
                        /* this operand's single element is re-read along the pair: its summed gradient */
                        acc += cosine ? (real_t) red[2 * q + 1]
                                : (side == 0 ? scale[q] : -scale[q]) * (real_t) red[2 * q + 1];
                        continue;
                    }
                    real_t u = xs[TRIPLET_PAIR_X(q)][off[TRIPLET_PAIR_X(q)] + e * sx[q]];
                    real_t w = xs[TRIPLET_PAIR_Y(q)][off[TRIPLET_PAIR_Y(q)] + e * sy[q]];
                    if (cosine) {
                        real_t cross = -coef[q] / (nxc[q] * nyc[q]);
                        acc += side == 0 ? cross * w + coef[q] * sim[q] / (nxc[q] * nxc[q]) * u
                                : cross * u + coef[q] * sim[q] / (nyc[q] * nyc[q]) * w;
                    } else {
                        real_t t = scale[q] * triplet_norm_factor(kind, p, u - w + eps, dist[q]);
                        acc += side == 0 ? t : -t;
                    }
                }
                g[r * cols[k] + e] = (float) acc;
            }
        }
    }
    if (flags & TRIPLET_FLAG_PARTIALS) {
        loss_sum = group_sum(loss_sum, scratch);
        if (LOCAL_ID() == 0) partials[GROUP_ID()] = loss_sum;
    }
}
