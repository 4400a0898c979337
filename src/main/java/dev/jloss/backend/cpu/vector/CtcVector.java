package dev.jloss.backend.cpu.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * CTC's recursions over the extended target's states in double lanes ({@link Lanes#D}): every state
 * of step t depends only on step t-1 (alpha) or t+1 (beta), so a step is one vector loop over the
 * states, with {@link VMath#expInPlace}/{@link VMath#log14InPlace} (about 1 ulp) for the log-sum-exp.
 *
 * <p>Each cell is {@code m + log(1 + exp(q - m) + exp(r - m)) + y_t(l'_s)}: m the largest of the (up to)
 * three predecessors, q and r the other two, so two exps instead of three; as in the scalar kernel
 * all -inf gives -inf, and a NaN or +inf predecessor gives NaN. The gradient takes
 * {@code exp(log alpha + log beta + nll - y)} per state (the state's occupation probability, at most 1)
 * and adds these per class in double, state by state from the top as the scalar kernel's log-adds run;
 * a class no state carries gets {@code exp(-inf + nll - y)} as PyTorch computes it (0, or NaN where nll
 * is not finite), so non-finite inputs give the scalar path's NaN/inf pattern.
 *
 * <p>Layout: a row of the alpha matrix holds 2 cells of -inf padding, then the states, padded to whole
 * vectors ({@link #stride(int)}); beta rows hold the padded states and 2 more cells of -inf. Padding
 * lanes compute garbage that no real state reads (in beta rows they stay -inf: their predecessors are
 * the -inf padding).
 *
 * <p>Everything is per sample, with fixed vector boundaries: bitwise the same run to run and for any
 * thread count, and the forward recursion is the same code with and without the gradient.
 */
public final class CtcVector {
    static final VectorSpecies<Double> D = Lanes.D;
    private static final int L = D.length();
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private CtcVector() {
    }

    private static int padded(int width) {
        return (width + L - 1) / L * L;
    }

    /** The alpha matrix's row length for an extended target of {@code width} states. */
    public static int stride(int width) {
        return 2 + padded(width);
    }

    /** An alpha buffer: every row when the gradient needs them ({@code keepAll}), else two. */
    public static double[] alphaBuffer(int frames, int width, boolean keepAll) {
        return new double[(keepAll ? frames : 2) * stride(width)];
    }

    /** 1 where state s may come from s - 2 (s > 1 and l'_s != l'_{s-2}), else 0; padded. */
    private static double[] skipFromBelow(int[] ext, int wp) {
        double[] a = new double[wp];
        for (int s = 2; s < ext.length; s++) {
            a[s] = ext[s] != ext[s - 2] ? 1 : 0;
        }
        return a;
    }

    /** 1 where state s may go to s + 2 (s + 2 in range and l'_{s+2} != l'_s), else 0; padded. */
    private static double[] skipFromAbove(int[] ext, int wp) {
        double[] a = new double[wp];
        for (int s = 0; s + 2 < ext.length; s++) {
            a[s] = ext[s + 2] != ext[s] ? 1 : 0;
        }
        return a;
    }

    /** y_t(l'_s) for every state into {@code g} (padding lanes 0). */
    private static void gather(float[] lp, int row, int[] ext, double[] g) {
        for (int s = 0; s < ext.length; s++) {
            g[s] = lp[row + ext[s]];
        }
    }

    /**
     * First pass of a step's log-sum-exp over three predecessors {@code a = src[oa + s]},
     * {@code b = src[ob + s]}, {@code c = src[oc + s]} (c only where {@code skip[s] != 0}, else -inf):
     * m = max, q and r the other two. Leaves {@code q - m'} and {@code r - m'} in {@code work[0, 2wp)}
     * (for {@link VMath#expInPlace}), the maximum's own term in {@code work[2wp, 3wp)} (1; 0 where all are
     * -inf, and m' = 0 then; NaN where m = +inf, as exp(inf - inf) in the scalar kernel) and m' in
     * {@code work[3wp, 4wp)}. A NaN predecessor makes m NaN, so the cell is NaN as in the scalar kernel.
     *
     * <p>The passes keep each compiled loop small: C2 inlines Vector API code only up to a node budget,
     * and a vector that crosses a call it did not inline is boxed.
     */
    private static void maxPass(double[] src, int oa, int ob, int oc, double[] skip, int wp, double[] work) {
        for (int s = 0; s < wp; s += L) {
            DoubleVector a = DoubleVector.fromArray(D, src, oa + s);
            DoubleVector b = DoubleVector.fromArray(D, src, ob + s);
            DoubleVector c = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY).blend(DoubleVector.fromArray(D, src, oc + s),
                    DoubleVector.fromArray(D, skip, s).compare(VectorOperators.NE, DoubleVector.broadcast(D, 0.0)));
            DoubleVector p = a.max(b);
            DoubleVector m = p.max(c);
            VectorMask<Double> none = m.compare(VectorOperators.EQ, DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY));
            DoubleVector mz = m.blend(DoubleVector.broadcast(D, 0.0), none);
            a.min(b).sub(mz).intoArray(work, s);
            p.min(c).sub(mz).intoArray(work, wp + s);
            DoubleVector.broadcast(D, 1.0).blend(DoubleVector.broadcast(D, 0.0), none).blend(DoubleVector.broadcast(D, Double.NaN), m.compare(VectorOperators.EQ, DoubleVector.broadcast(D, Double.POSITIVE_INFINITY)))
                    .intoArray(work, 2 * wp + s);
            mz.intoArray(work, 3 * wp + s);
        }
    }

    /** Sum pass: {@code work[2wp + s] = one + exp(q - m) + exp(r - m)}, for {@link VMath#log14InPlace}. */
    private static void sumPass(double[] work, int wp) {
        for (int s = 0; s < wp; s += L) {
            DoubleVector.fromArray(D, work, 2 * wp + s).add(DoubleVector.fromArray(D, work, s))
                    .add(DoubleVector.fromArray(D, work, wp + s)).intoArray(work, 2 * wp + s);
        }
    }

    /** Last pass: {@code dst[od + s] = log(sum) + m + y[s]}. */
    private static void logPass(double[] work, double[] y, int wp, double[] dst, int od) {
        for (int s = 0; s < wp; s += L) {
            DoubleVector.fromArray(D, work, 2 * wp + s).add(DoubleVector.fromArray(D, work, 3 * wp + s))
                    .add(DoubleVector.fromArray(D, y, s)).intoArray(dst, od + s);
        }
    }

    /** One step of either recursion: {@code dst[od + s]} from three shifted reads of {@code src}. */
    private static void step(double[] src, int oa, int ob, int oc, double[] skip, double[] y, int wp, double[] work,
                             double[] dst, int od) {
        maxPass(src, oa, ob, oc, skip, wp, work);
        VMath.expInPlace(work, 0, 2 * wp);
        sumPass(work, wp);
        VMath.log14InPlace(work, 2 * wp, 3 * wp);
        logPass(work, y, wp, dst, od);
    }

    /**
     * The alpha recursion (Graves et al. 2006, eq. 6-8) for one sample: log_probs of step t, class c
     * at {@code lp[base + t * step + c]}. Fills {@code alpha} (from {@link #alphaBuffer}) and returns
     * the log-likelihood {@code log(exp(alpha_T(S-1)) + exp(alpha_T(S-2)))}.
     */
    public static double forward(float[] lp, int base, int step, int[] ext, int frames, double[] alpha,
                                 boolean keepAll) {
        int width = ext.length;
        int wp = padded(width);
        int stride = wp + 2;
        double[] skip = skipFromBelow(ext, wp);
        double[] y = new double[wp];
        double[] work = new double[4 * wp];
        java.util.Arrays.fill(alpha, 0, keepAll ? stride : 2 * stride, NEG_INF);
        alpha[2] = lp[base + ext[0]];
        if (width > 1) {
            alpha[3] = lp[base + ext[1]];
        }
        for (int t = 1; t < frames; t++) {
            int prev = (keepAll ? t - 1 : (t - 1) & 1) * stride;
            int cur = (keepAll ? t : t & 1) * stride;
            if (keepAll) {
                alpha[cur] = NEG_INF;
                alpha[cur + 1] = NEG_INF;
            }
            gather(lp, base + t * step, ext, y);
            step(alpha, prev + 2, prev + 1, prev, skip, y, wp, work, alpha, cur + 2);
        }
        int last = (keepAll ? frames - 1 : (frames - 1) & 1) * stride + 2;
        double l1 = alpha[last + width - 1];
        double l2 = width > 1 ? alpha[last + width - 2] : NEG_INF;
        double m = l1 < l2 ? l2 : l1;  // std::max's NaN behaviour, as the scalar kernel
        m = m == NEG_INF ? 0 : m;
        return Math.log(Math.exp(l1 - m) + Math.exp(l2 - m)) + m;
    }

    /**
     * The beta recursion and the gradient rows of one sample, for steps {@code [0, frames)}:
     * {@code grad[base + t * step + c] = (exp(y_t(c)) - sum_{s: l'_s = c} exp(alpha_t(s) + beta_t(s) + nll
     * - y_t(c))) * gr}, written for every class.
     */
    public static void backward(float[] lp, int base, int step, int classes, int[] ext, int frames,
                                double[] alpha, double nll, double gr, float[] grad) {
        int width = ext.length;
        int wp = padded(width);
        int stride = wp + 2;
        int top = width - 1;
        int cp = padded(classes);
        double[] skip = skipFromAbove(ext, wp);
        double[] y = new double[wp];
        double[] next = new double[wp + 2];
        double[] cur = new double[wp + 2];
        double[] occ = new double[wp];
        double[] perClass = new double[cp];
        double[] carried = new double[cp];
        double[] row = new double[2 * cp];
        double[] out = new double[cp];
        for (int s = 0; s < width; s++) {
            carried[ext[s]] = 1;
        }
        double noState = NEG_INF + nll;
        double[] work = new double[4 * wp];

        int t = frames - 1;
        java.util.Arrays.fill(next, NEG_INF);
        java.util.Arrays.fill(cur, NEG_INF);
        next[top] = lp[base + t * step + ext[top]];
        if (width > 1) {
            next[top - 1] = lp[base + t * step + ext[top - 1]];
        }
        while (true) {
            int lpRow = base + t * step;
            if (t < frames - 1) {
                gather(lp, lpRow, ext, y);
                step(next, 0, 1, 2, skip, y, wp, work, cur, 0);
                double[] swap = next;
                next = cur;
                cur = swap;
            } else {
                gather(lp, lpRow, ext, y);
            }
            occupation(alpha, t * stride + 2, next, nll, y, wp, occ);
            VMath.expInPlace(occ, 0, wp);
            java.util.Arrays.fill(perClass, 0.0);
            for (int s = top; s >= 0; s--) {
                perClass[ext[s]] += occ[s];
            }
            for (int c = 0; c < classes; c++) {
                double v = lp[lpRow + c];
                row[c] = noState - v;   // exp(-inf + nll - y): a class no state carries
                row[cp + c] = v;
            }
            VMath.expInPlace(row, 0, 2 * cp);
            gradientPass(row, perClass, carried, gr, cp, out);
            for (int c = 0; c < classes; c++) {
                grad[lpRow + c] = (float) out[c];
            }
            if (t == 0) {
                break;
            }
            t--;
        }
    }

    /** {@code occ[s] = alpha[oa + s] + beta[s] + nll - y[s]} (then exponentiated in place). */
    private static void occupation(double[] alpha, int oa, double[] beta, double nll, double[] y, int wp,
                                   double[] occ) {
        DoubleVector n = DoubleVector.broadcast(D, nll);
        for (int s = 0; s < wp; s += L) {
            DoubleVector.fromArray(D, alpha, oa + s).add(DoubleVector.fromArray(D, beta, s)).add(n)
                    .sub(DoubleVector.fromArray(D, y, s)).intoArray(occ, s);
        }
    }

    /**
     * {@code out[c] = (exp(y_c) - (carried ? perClass[c] : exp(-inf + nll - y_c))) * gr}, the exps
     * already in {@code e[cp + c]} and {@code e[c]}.
     */
    private static void gradientPass(double[] e, double[] perClass, double[] carried, double gr, int cp,
                                     double[] out) {
        DoubleVector g = DoubleVector.broadcast(D, gr);
        for (int c = 0; c < cp; c += L) {
            DoubleVector sum = DoubleVector.fromArray(D, e, c).blend(DoubleVector.fromArray(D, perClass, c),
                    DoubleVector.fromArray(D, carried, c).compare(VectorOperators.NE, DoubleVector.broadcast(D, 0.0)));
            DoubleVector.fromArray(D, e, cp + c).sub(sum).mul(g).intoArray(out, c);
        }
    }
}
