package dev.jloss.backend.cpu.vector;

import static jdk.incubator.vector.FloatVector.fromArray;
import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

import dev.jloss.backend.cpu.vector.PointwiseVector.Frame;
import dev.jloss.plan.PointwiseTerm;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise terms on float lanes, mirroring {@code PointwiseTerm}: per term its loss
 * ({@link #value}: the unweighted loss of each element) and its derivatives ({@link #derivative}: of
 * each differentiable operand, before the upstream gradient and the weight), over block-relative
 * indices {@code [0, len)} of a bound {@link Frame}; {@code PointwiseVector} applies the weight, sums
 * and scales, the same for every term. The exp and log come from {@link PointwiseMath}'s passes into the
 * frame's scratch arrays; {@link #prepare} runs those the loss and the derivative share (the one exp of
 * BCEWithLogits' softplus and sigmoid). The loss is computed the same way in every mode, so it is
 * bitwise the same from forward and from the fused call.
 *
 * <p>NOTE: the loops call nothing of this package that takes or returns a vector (see PointwiseMath's
 * note: such a method is inlined only until C2's node budget runs out, and then boxes every vector);
 * a generic loop over a term interface would not be inlined either.
 * NOTE (open): the dispatch switches ({@link #value}, {@link #derivative}) inline every term C2 has seen
 * taken; in a JVM that had run all twelve losses, HingeEmbedding's backward once boxed (67 MB per call at
 * 2^24, 202 ms, still 4.8x faster than scalar on one thread); run alone it does not (40 ms, 0 B). A
 * megamorphic call per term (one object per term behind an interface) would keep each term its own compile.
 *
 * <p>Accuracy: each term is its scalar formula in float arithmetic with PointwiseMath's functions: a loss
 * or derivative is within a few float roundings of the double result, relative to the size of the terms
 * it adds (cancellation between those terms, e.g. PoissonNLL's {@code exp(a) - b a} near its minimum,
 * loses what float loses there); NaN and ±inf give what the scalar path gives, and decisions at a kink
 * (a hinge, a clamp, a tie) are the scalar path's. The golden suite, the gradient check and
 * {@code PointwiseLossesTest} (double reference loops) run each term on this path; {@code PointwiseVectorTest}
 * checks thread-count determinism and a 2^27-element mean against float64.
 */
final class VectorTerms {
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();
    private static final VectorSpecies<Double> D = Lanes.D;
    private static final VectorSpecies<Float> FD = Lanes.FD;
    private static final int DL = D.length();
    private static final float LOG_2PI = (float) Math.log(2 * Math.PI);

    /** Scratch arrays of the frame: the shared pass's result, then temporaries of the loss's passes. */
    private static final int SHARED = 0;
    private static final int T1 = 1;
    private static final int T2 = 2;
    private static final int T3 = 3;

    private VectorTerms() {
    }

    /** Whether the term's {@link #derivative} applies the upstream gradient itself (else PointwiseVector does). */
    static boolean scalesItself(PointwiseTerm t) {
        return t == PointwiseTerm.MARGIN_RANKING;
    }

    /** The data checks (BCE's input in [0, 1], GaussianNLL's var >= 0): throws at the first bad element. */
    static void check(Frame f, int len) {
        switch (f.job.term) {
            case BCE -> {
                for (int i = 0; i < len; i += L) {
                    FloatVector a = fromArray(F, f.a, f.ao + i);
                    VectorMask<Float> bad = a.compare(GE, 0f).and(a.compare(LE, 1f)).not();
                    if (bad.anyTrue()) {
                        throw f.invalid(PointwiseVector.A, i + bad.firstTrue());
                    }
                }
            }
            case GAUSSIAN_NLL -> {
                for (int i = 0; i < len; i += L) {
                    VectorMask<Float> bad = fromArray(F, f.c, f.co + i).compare(LT, 0f);
                    if (bad.anyTrue()) {
                        throw f.invalid(PointwiseVector.C, i + bad.firstTrue());
                    }
                }
            }
            default -> {
            }
        }
    }

    /** The passes both the loss and the derivative read, into scratch SHARED. */
    static void prepare(Frame f, int len) {
        float[] s = f.scratch(SHARED);
        switch (f.job.term) {
            case BCE_WITH_LOGITS -> {
                PointwiseMath.negAbs(f.a, f.ao, null, 0, s, len);
                PointwiseMath.exp(s, 0, s, len);
            }
            case SOFT_MARGIN -> {
                PointwiseMath.negAbs(f.a, f.ao, f.b, f.bo, s, len);
                PointwiseMath.exp(s, 0, s, len);
            }
            case KL_DIV_LOG_TARGET -> PointwiseMath.exp(f.b, f.bo, s, len);
            case POISSON_NLL_LOG_INPUT -> PointwiseMath.exp(f.a, f.ao, s, len);
            default -> {
            }
        }
    }

    /** dst[dOff + i] = the term's loss at block element i, unweighted, after {@link #prepare}. */
    static void value(Frame f, int len, float[] dst, int dOff) {
        switch (f.job.term) {
            case L1 -> l1(f, len, dst, dOff);
            case MSE -> mse(f, len, dst, dOff);
            case SMOOTH_L1 -> smoothL1(f, len, dst, dOff);
            case HUBER -> huber(f, len, dst, dOff);
            case BCE -> bce(f, len, dst, dOff);
            case BCE_WITH_LOGITS -> bceWithLogits(f, len, dst, dOff);
            case KL_DIV -> klDiv(f, len, dst, dOff);
            case KL_DIV_LOG_TARGET -> klDivLogTarget(f, len, dst, dOff);
            case POISSON_NLL_LOG_INPUT -> poissonNllLogInput(f, len, dst, dOff);
            case POISSON_NLL -> poissonNll(f, len, dst, dOff);
            case SOFT_MARGIN -> softMargin(f, len, dst, dOff);
            case MARGIN_RANKING -> marginRanking(f, len, dst, dOff);
            case HINGE_EMBEDDING -> hingeEmbedding(f, len, dst, dOff);
            case GAUSSIAN_NLL -> gaussianNll(f, len, dst, dOff);
        }
    }

    /** The derivatives at block elements [0, len) into the frame's g0 (and g1), after {@link #prepare}. */
    static void derivative(Frame f, int len) {
        switch (f.job.term) {
            case L1 -> l1Grad(f, len);
            case MSE -> mseGrad(f, len);
            case SMOOTH_L1 -> smoothL1Grad(f, len);
            case HUBER -> huberGrad(f, len);
            case BCE -> bceGrad(f, len);
            case BCE_WITH_LOGITS -> bceWithLogitsGrad(f, len);
            case KL_DIV -> klDivGrad(f, len);
            case KL_DIV_LOG_TARGET -> klDivLogTargetGrad(f, len);
            case POISSON_NLL_LOG_INPUT -> poissonNllLogInputGrad(f, len);
            case POISSON_NLL -> poissonNllGrad(f, len);
            case SOFT_MARGIN -> softMarginGrad(f, len);
            case MARGIN_RANKING -> marginRankingGrad(f, len);
            case HINGE_EMBEDDING -> hingeEmbeddingGrad(f, len);
            case GAUSSIAN_NLL -> gaussianNllGrad(f, len);
        }
    }

    // ---- L1: |a-b|; d/da = sign(a-b), 0 at a tie and at NaN (PyTorch's sign) -----------------------------

    private static void l1(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        for (int i = 0; i < len; i += L) {
            fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i)).abs().intoArray(dst, dOff + i);
        }
    }

    private static void l1Grad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < len; i += L) {
            FloatVector d = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i));
            zero.blend(1f, d.compare(GT, 0f)).blend(-1f, d.compare(LT, 0f)).intoArray(g, go + i);
        }
    }

    // ---- MSE: (a-b)^2; d/da = 2(a-b) ------------------------------------------------------------------

    private static void mse(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        for (int i = 0; i < len; i += L) {
            FloatVector d = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i));
            d.mul(d).intoArray(dst, dOff + i);
        }
    }

    private static void mseGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        for (int i = 0; i < len; i += L) {
            FloatVector d = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i));
            d.add(d).intoArray(g, go + i);
        }
    }

    // ---- SmoothL1: beta = p0 ----------------------------------------------------------------------------

    /** m = min(|d|, beta): m (|d| - m/2) / beta (0.5 d^2 / beta below beta, |d| - beta/2 above); beta = 0: |d|. */
    private static void smoothL1(Frame f, int len, float[] dst, int dOff) {
        if (f.p0d == 0) {
            l1(f, len, dst, dOff);
            return;
        }
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        FloatVector beta = FloatVector.broadcast(F, f.p0);
        for (int i = 0; i < len; i += L) {
            FloatVector ad = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i)).abs();
            FloatVector m = ad.blend(beta, ad.compare(GT, beta)); // NaN kept
            m.mul(m.fma(FloatVector.broadcast(F, -0.5f), ad)).div(beta).intoArray(dst, dOff + i);
        }
    }

    /** d/da = clamp(d / beta, -1, 1), NaN kept; beta = 0: -1 for d <= 0 (a tie too), else 1, NaN kept (PyTorch's order). */
    private static void smoothL1Grad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        if (f.p0d == 0) {
            for (int i = 0; i < len; i += L) {
                FloatVector d = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i));
                d.blend(1f, d.compare(GE, 0f)).blend(-1f, d.compare(LE, 0f)).intoArray(g, go + i);
            }
            return;
        }
        float beta = f.p0;
        for (int i = 0; i < len; i += L) {
            FloatVector q = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i)).div(beta);
            q.blend(1f, q.compare(GT, 1f)).blend(-1f, q.compare(LT, -1f)).intoArray(g, go + i);
        }
    }

    // ---- Huber: delta = p0; m = min(|d|, delta): m (|d| - m/2); d/da = clamp(d, -delta, delta) -----------

    private static void huber(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        FloatVector delta = FloatVector.broadcast(F, f.p0);
        for (int i = 0; i < len; i += L) {
            FloatVector ad = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i)).abs();
            FloatVector m = ad.blend(delta, ad.compare(GT, delta));
            m.mul(m.fma(FloatVector.broadcast(F, -0.5f), ad)).intoArray(dst, dOff + i);
        }
    }

    private static void huberGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        float delta = f.p0;
        for (int i = 0; i < len; i += L) {
            FloatVector d = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i));
            d.blend(delta, d.compare(GT, delta)).blend(-delta, d.compare(LT, -delta)).intoArray(g, go + i);
        }
    }

    // ---- BCE (the input is checked to lie in [0, 1]) -----------------------------------------------------

    /** -(b max(log a, -100) + (1-b) max(log1p(-a), -100)). */
    private static void bce(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        float[] logA = f.scratch(T1);
        float[] log1mA = f.scratch(T2);
        PointwiseMath.log(a, ao, 0f, logA, len);
        for (int i = 0; i < len; i += L) {
            fromArray(F, a, ao + i).neg().intoArray(log1mA, i);
        }
        PointwiseMath.log1p(log1mA, 0, log1mA, f.scratch(T3), len);
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            // log(a) and log1p(-a) are <= 0 and never NaN here: the clamp is a blend
            FloatVector la = fromArray(F, logA, i);
            la = la.blend(-100f, la.compare(LT, -100f));
            FloatVector l1a = fromArray(F, log1mA, i);
            l1a = l1a.blend(-100f, l1a.compare(LT, -100f));
            bv.fma(la, one.sub(bv).mul(l1a)).neg().intoArray(dst, dOff + i);
        }
    }

    /** d/da = (a-b) / max((1-a) a, 1e-12f), PyTorch's, not the clamped value's derivative. */
    private static void bceGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < len; i += L) {
            FloatVector av = fromArray(F, a, ao + i);
            FloatVector den = one.sub(av).mul(av);
            den = den.blend(1e-12f, den.compare(LT, 1e-12f));
            av.sub(fromArray(F, b, bo + i)).div(den).intoArray(g, go + i);
        }
    }

    // ---- BCEWithLogits: x = a, y = b, t = pw y, e = exp(-|x|) (prepare) ---------------------------------

    /**
     * (1-y) x + (1 + (pw-1) y) softplus(-x), as {@code (x >= 0 ? (1-y) x : -t x) + (1 + (pw-1) y) log1p(e)}:
     * the max(-x, 0) of softplus folded into the linear term, so no two large terms cancel.
     * NOTE: NaN at x = -inf, as PyTorch (inf - inf); without a pos_weight the factor is 1 (PyTorch's formula).
     */
    private static void bceWithLogits(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        float[] pw = f.pw;
        int ao = f.ao;
        int bo = f.bo;
        int pwo = f.pwo;
        float[] log1pExp = f.scratch(T1);
        PointwiseMath.log1pUnit(f.scratch(SHARED), 0, log1pExp, len);
        FloatVector one = FloatVector.broadcast(F, 1f);
        boolean posWeight = f.p0d != 0;
        for (int i = 0; i < len; i += L) {
            FloatVector x = fromArray(F, a, ao + i);
            FloatVector y = fromArray(F, b, bo + i);
            FloatVector p = pw == null ? one : fromArray(F, pw, pwo + i);
            // PyTorch's two formulas: (1 + (pw-1) y) with a pos_weight, 1 without (no 0 * inf at y = inf)
            FloatVector coef = posWeight ? p.sub(1f).fma(y, one) : one;
            FloatVector oneMinusY = one.sub(y);
            FloatVector linear = (posWeight ? p.mul(y) : y).neg().mul(x).blend(oneMinusY.mul(x), x.compare(GE, 0f));
            FloatVector value = coef.fma(fromArray(F, log1pExp, i), linear);
            VectorMask<Float> negInf = x.compare(EQ, Float.NEGATIVE_INFINITY);
            if (negInf.anyTrue()) {
                value = value.blend(Float.NaN, negInf);  // PyTorch's inf - inf there
            }
            value.intoArray(dst, dOff + i);
        }
    }

    /**
     * (1-y) sigmoid(x) - t sigmoid(-x) = (x >= 0 ? (1-y) - t e : (1-y) e - t) / (1 + e): the scalar
     * {@code (t + 1 - y) sigmoid(x) - t} without its cancellation.
     */
    private static void bceWithLogitsGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] pw = f.pw;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int pwo = f.pwo;
        int go = f.g0o;
        float[] exp = f.scratch(SHARED);
        FloatVector one = FloatVector.broadcast(F, 1f);
        if (f.p0d == 0) {
            // no pos_weight: PyTorch's sigmoid(x) - y (finite at an infinite y where the other form is 0 * inf)
            for (int i = 0; i < len; i += L) {
                FloatVector x = fromArray(F, a, ao + i);
                FloatVector e = fromArray(F, exp, i);
                FloatVector sig = e.blend(one, x.compare(GE, 0f)).div(e.add(1f));
                sig.sub(fromArray(F, b, bo + i)).intoArray(g, go + i);
            }
            return;
        }
        for (int i = 0; i < len; i += L) {
            FloatVector x = fromArray(F, a, ao + i);
            FloatVector y = fromArray(F, b, bo + i);
            FloatVector e = fromArray(F, exp, i);
            FloatVector oneMinusY = one.sub(y);
            FloatVector p = pw == null ? one : fromArray(F, pw, pwo + i);
            FloatVector minusT = p.mul(y).neg();
            FloatVector num = oneMinusY.fma(e, minusT).blend(minusT.fma(e, oneMinusY), x.compare(GE, 0f));
            FloatVector grad = num.div(e.add(1f));
            // a non-finite x, y or pos_weight: PyTorch's literal (t + 1 - y) sigmoid(x) - t, its NaNs included
            FloatVector probe = x.sub(x).add(y.sub(y)).add(p.sub(p));
            VectorMask<Float> nonFinite = probe.compare(NE, probe);
            if (nonFinite.anyTrue()) {
                FloatVector sig = e.blend(one, x.compare(GE, 0f)).div(e.add(1f));
                grad = grad.blend(minusT.neg().add(oneMinusY).mul(sig).add(minusT), nonFinite);
            }
            grad.intoArray(g, go + i);
        }
    }

    // ---- KLDiv: b (log b - a) as xlogy(b, b) - b a, 0 log 0 = 0; d/da = -b --------------------------------

    private static void klDiv(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        float[] logB = f.scratch(T1);
        // zero targets (often most of them) take log(1), not log's slow path for 0
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            bv.blend(1f, bv.compare(EQ, 0f)).intoArray(logB, i);
        }
        PointwiseMath.log(logB, 0, 0f, logB, len);
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            FloatVector xlogy = bv.mul(fromArray(F, logB, i)).blend(0f, bv.compare(EQ, 0f));
            bv.neg().fma(fromArray(F, a, ao + i), xlogy).intoArray(dst, dOff + i);
        }
    }

    private static void klDivGrad(Frame f, int len) {
        float[] b = f.b;
        float[] g = f.g0;
        int bo = f.bo;
        int go = f.g0o;
        for (int i = 0; i < len; i += L) {
            fromArray(F, b, bo + i).neg().intoArray(g, go + i);
        }
    }

    // ---- KLDiv log_target: exp(b) (b - a) (exp in prepare); d/da = -exp(b) --------------------------------

    private static void klDivLogTarget(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        float[] exp = f.scratch(SHARED);
        for (int i = 0; i < len; i += L) {
            fromArray(F, exp, i).mul(fromArray(F, b, bo + i).sub(fromArray(F, a, ao + i))).intoArray(dst, dOff + i);
        }
    }

    private static void klDivLogTargetGrad(Frame f, int len) {
        float[] g = f.g0;
        int go = f.g0o;
        float[] exp = f.scratch(SHARED);
        for (int i = 0; i < len; i += L) {
            fromArray(F, exp, i).neg().intoArray(g, go + i);
        }
    }

    // ---- PoissonNLL log_input: exp(a) - b a (+ Stirling where b > 1 when p1 = full); d/da = exp(a) - b ----

    private static void poissonNllLogInput(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        float[] exp = f.scratch(SHARED);
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            bv.neg().fma(fromArray(F, a, ao + i), fromArray(F, exp, i)).intoArray(dst, dOff + i);
        }
        if (f.p1d != 0) {
            addStirling(f, len, dst, dOff);
        }
    }

    private static void poissonNllLogInputGrad(Frame f, int len) {
        float[] b = f.b;
        float[] g = f.g0;
        int bo = f.bo;
        int go = f.g0o;
        float[] exp = f.scratch(SHARED);
        for (int i = 0; i < len; i += L) {
            fromArray(F, exp, i).sub(fromArray(F, b, bo + i)).intoArray(g, go + i);
        }
    }

    // ---- PoissonNLL: eps = p0: a - b log(a + eps) (+ Stirling); d/da = 1 - b / (a + eps) -------------------

    private static void poissonNll(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        float[] log = f.scratch(T1);
        PointwiseMath.log(a, ao, f.p0, log, len);
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            bv.neg().fma(fromArray(F, log, i), fromArray(F, a, ao + i)).intoArray(dst, dOff + i);
        }
        if (f.p1d != 0) {
            addStirling(f, len, dst, dOff);
        }
    }

    private static void poissonNllGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        float eps = f.p0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < len; i += L) {
            one.sub(fromArray(F, b, bo + i).div(fromArray(F, a, ao + i).add(eps))).intoArray(g, go + i);
        }
    }

    /** dst += Stirling's term of PoissonNLLLoss(full=True): b log b - b + log(2 pi b) / 2 where b > 1, else 0. */
    private static void addStirling(Frame f, int len, float[] dst, int dOff) {
        float[] b = f.b;
        int bo = f.bo;
        float[] logB = f.scratch(T2);
        // log's argument stays > 1: no slow path for the zero counts
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            bv.blend(1f, bv.compare(GT, 1f).not()).intoArray(logB, i);
        }
        PointwiseMath.log(logB, 0, 0f, logB, len);
        for (int i = 0; i < len; i += L) {
            FloatVector bv = fromArray(F, b, bo + i);
            FloatVector lb = fromArray(F, logB, i);
            FloatVector st = bv.fma(lb, bv.neg()).add(lb.add(LOG_2PI).mul(0.5f)).blend(0f, bv.compare(GT, 1f).not());
            fromArray(F, dst, dOff + i).add(st).intoArray(dst, dOff + i);
        }
    }

    // ---- SoftMargin: z = -b a, e = exp(-|z|) (prepare) --------------------------------------------------

    /** dst = z, the argument of softplus and sigmoid. */
    private static void softMarginArgument(Frame f, int len, float[] dst) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        for (int i = 0; i < len; i += L) {
            fromArray(F, b, bo + i).neg().mul(fromArray(F, a, ao + i)).intoArray(dst, i);
        }
    }

    /** softplus(z) ({@link PointwiseMath#softplus}). */
    private static void softMargin(Frame f, int len, float[] dst, int dOff) {
        float[] z = f.scratch(T1);
        float[] log1pExp = f.scratch(T2);
        PointwiseMath.log1pUnit(f.scratch(SHARED), 0, log1pExp, len);
        softMarginArgument(f, len, z);
        PointwiseMath.softplus(z, 0, log1pExp, dst, dOff, len);
    }

    /** d/da = -b sigmoid(z), from the same e ({@link PointwiseMath#sigmoid}). */
    private static void softMarginGrad(Frame f, int len) {
        float[] b = f.b;
        float[] g = f.g0;
        int bo = f.bo;
        int go = f.g0o;
        float[] z = f.scratch(T1);
        softMarginArgument(f, len, z);
        PointwiseMath.sigmoid(z, 0, f.scratch(SHARED), z, len);
        int ao = f.ao;
        float[] a = f.a;
        for (int i = 0; i < len; i += L) {
            FloatVector minusB = fromArray(F, b, bo + i).neg();
            // NaN where -b a = +inf: PyTorch's -b e / (1 + e) is inf / inf there
            VectorMask<Float> infinite = minusB.mul(fromArray(F, a, ao + i)).compare(EQ, Float.POSITIVE_INFINITY);
            minusB.mul(fromArray(F, z, i)).blend(Float.NaN, infinite).intoArray(g, go + i);
        }
    }

    // ---- MarginRanking, on double lanes -----------------------------------------------------------------

    /*
     * Operands input1, input2, target: z = -c (a - b) + margin; loss max(0, z); d/da = -c, d/db = c where
     * the clamp passes (z >= 0; not at a NaN z), else 0 (times c: NaN for a NaN or infinite c).
     * NOTE: in double, with the scalar path's very operations, the upstream gradient applied here in double
     * too: the hinge's decision near z = 0 must not depend on float rounding, and the term is bound by
     * memory anyway (3 reads, 2 writes). The per-element loss and gradients are the scalar path's, bit for bit.
     */

    private static void marginRanking(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        float[] c = f.c;
        int ao = f.ao;
        int bo = f.bo;
        int co = f.co;
        double margin = f.p0d;
        for (int i = 0; i < len; i += DL) {
            DoubleVector av = (DoubleVector) fromArray(FD, a, ao + i).convertShape(F2D, D, 0);
            DoubleVector bv = (DoubleVector) fromArray(FD, b, bo + i).convertShape(F2D, D, 0);
            DoubleVector cv = (DoubleVector) fromArray(FD, c, co + i).convertShape(F2D, D, 0);
            DoubleVector v = cv.neg().mul(av.sub(bv)).add(margin).max(0);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dst, dOff + i);
        }
    }

    private static void marginRankingGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] c = f.c;
        float[] go = f.go;
        float[] g0 = f.g0;
        float[] g1 = f.g1;
        int ao = f.ao;
        int bo = f.bo;
        int co = f.co;
        int goo = f.goo;
        int g0o = f.g0o;
        int g1o = f.g1o;
        double margin = f.p0d;
        DoubleVector gs = DoubleVector.broadcast(D, f.gsd);
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < len; i += DL) {
            DoubleVector av = (DoubleVector) fromArray(FD, a, ao + i).convertShape(F2D, D, 0);
            DoubleVector bv = (DoubleVector) fromArray(FD, b, bo + i).convertShape(F2D, D, 0);
            DoubleVector cv = (DoubleVector) fromArray(FD, c, co + i).convertShape(F2D, D, 0);
            DoubleVector gu = go == null ? gs : (DoubleVector) fromArray(FD, go, goo + i).convertShape(F2D, D, 0);
            // clamp_min's mask (v >= 0, false at a NaN v) as a factor, so a NaN or infinite target gives 0 * c = NaN
            DoubleVector pass = zero.blend(1, cv.neg().mul(av.sub(bv)).add(margin).compare(GE, 0));
            ((FloatVector) gu.mul(cv.neg().mul(pass)).convertShape(D2F, FD, 0)).intoArray(g0, g0o + i);
            ((FloatVector) gu.mul(cv.mul(pass)).convertShape(D2F, FD, 0)).intoArray(g1, g1o + i);
        }
    }

    // ---- HingeEmbedding: margin = p0 ------------------------------------------------------------------

    /** (b != 1 ? max(0, margin - a) : 0) + (b != -1 ? a : 0). */
    private static void hingeEmbedding(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        int ao = f.ao;
        int bo = f.bo;
        FloatVector margin = FloatVector.broadcast(F, f.p0);
        for (int i = 0; i < len; i += L) {
            FloatVector av = fromArray(F, a, ao + i);
            FloatVector bv = fromArray(F, b, bo + i);
            FloatVector h = margin.sub(av);
            h = h.blend(0f, h.compare(LT, 0f)); // max(0, h), NaN kept
            h.blend(0f, bv.compare(EQ, 1f)).add(av.blend(0f, bv.compare(EQ, -1f))).intoArray(dst, dOff + i);
        }
    }

    /**
     * (b != 1 and a <= margin ? -1 : 0) + (b != -1 ? 1 : 0).
     * NOTE: a <= margin is decided against the largest float <= margin: exactly the scalar path's
     * {@code margin - a >= 0} in double, whatever margin's float rounding.
     */
    private static void hingeEmbeddingGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] g = f.g0;
        int ao = f.ao;
        int bo = f.bo;
        int go = f.g0o;
        float margin = f.p0;
        float marginDown = (double) margin > f.p0d ? Math.nextDown(margin) : margin;
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < len; i += L) {
            FloatVector av = fromArray(F, a, ao + i);
            FloatVector bv = fromArray(F, b, bo + i);
            zero.blend(-1f, bv.compare(NE, 1f).and(av.compare(LE, marginDown)))
                    .add(zero.blend(1f, bv.compare(NE, -1f))).intoArray(g, go + i);
        }
    }

    // ---- GaussianNLL: operands input, target, var (checked >= 0); eps = p0, v = max(var, eps), d = a - b ---

    /** 0.5 (log v + d (d / v)) (+ 0.5 log 2pi when p1 = full); d (d / v), as d^2 overflows where that does not. */
    private static void gaussianNll(Frame f, int len, float[] dst, int dOff) {
        float[] a = f.a;
        float[] b = f.b;
        float[] c = f.c;
        int ao = f.ao;
        int bo = f.bo;
        int co = f.co;
        float eps = f.p0;
        float constant = f.p1d != 0 ? 0.5f * LOG_2PI : 0f;
        float[] var = f.scratch(T1);
        float[] logVar = f.scratch(T2);
        for (int i = 0; i < len; i += L) {
            FloatVector cv = fromArray(F, c, co + i);
            cv.blend(eps, cv.compare(LT, eps)).intoArray(var, i); // NaN kept
        }
        PointwiseMath.log(var, 0, 0f, logVar, len);
        for (int i = 0; i < len; i += L) {
            FloatVector d = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i));
            d.fma(d.div(fromArray(F, var, i)), fromArray(F, logVar, i)).mul(0.5f).add(constant)
                    .intoArray(dst, dOff + i);
        }
    }

    /**
     * d/da = q, d/dvar = 0.5 (1/v - q^2) with q = d / v: the derivative at the clamped value, as PyTorch
     * (which clamps a copy of var under no_grad).
     */
    private static void gaussianNllGrad(Frame f, int len) {
        float[] a = f.a;
        float[] b = f.b;
        float[] c = f.c;
        float[] g0 = f.g0;
        float[] g1 = f.g1;
        int ao = f.ao;
        int bo = f.bo;
        int co = f.co;
        int g0o = f.g0o;
        int g1o = f.g1o;
        float eps = f.p0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < len; i += L) {
            FloatVector cv = fromArray(F, c, co + i);
            FloatVector inv = one.div(cv.blend(eps, cv.compare(LT, eps)));
            FloatVector q = fromArray(F, a, ao + i).sub(fromArray(F, b, bo + i)).mul(inv);
            q.intoArray(g0, g0o + i);
            q.neg().fma(q, inv).mul(0.5f).intoArray(g1, g1o + i);
        }
    }
}
