package dev.jloss.backend.cpu.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD row loops for the CPU backend's row-wise losses, in float lanes
 * ({@link Lanes#F}). Every method covers the first {@link #vectorPart(int) vectorPart(n)} elements of a
 * row (whole vectors) and leaves the rest, fewer than a vector, to the kernel's scalar loop, so the
 * tail is the scalar path's double arithmetic.
 *
 * <p>Accuracy: lanes accumulate in float over blocks of {@link #BLOCK} vectors; each block's lanes
 * are then added, lane 0 first, into a double. Block boundaries depend only on the row length, so
 * results are bitwise the same run to run and for any thread count; a row computed for the loss
 * alone and with its gradient runs the same operations, so forward and fused calls give the same
 * bits.
 */
public final class RowsVector {
    static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();
    /** Vectors per float block before the lanes are added into double. */
    public static final int BLOCK = 16;

    private RowsVector() {
    }

    /** How many leading elements of an n-element row the SIMD loops cover: whole vectors. */
    public static int vectorPart(int n) {
        return n - n % L;
    }

    /**
     * A chunk's scratch for rows of {@code n} elements (the kernels allocate one per chunk and pass it
     * to every row): room for one float per element and one block's lanes.
     */
    public static float[] scratch(int n) {
        return new float[n + L];
    }

    /**
     * Adds the block accumulator's lanes into {@code s}, lane 0 first. Goes through memory (the last
     * {@code L} floats of the scratch) and a scalar loop so that nothing vector-typed crosses a call
     * the JIT might not inline: C2 stops inlining at a node budget that Vector API code reaches fast.
     */
    private static double addLanes(double s, float[] scratch) {
        for (int i = scratch.length - L; i < scratch.length; i++) {
            s += scratch[i];
        }
        return s;
    }

    /**
     * MultiLabelSoftMarginLoss over the vector part of a row with contiguous classes: returns
     * {@code sum_j -w_j (y_j log sigmoid(x_j) + (1 - y_j) log sigmoid(-x_j))} and, when {@code g} is
     * not null, writes {@code g[xo + j] = -w_j (y_j sigmoid(-x_j) - (1 - y_j) sigmoid(x_j)) scale}. The
     * same formulas as the scalar kernel, evaluated in float lanes with e = exp(-|x|) and
     * log1p(e) from {@link VMath#log1pExpNegAbs} (worst relative error 2.6e-7): so a non-finite
     * score gives what the scalar path gives (an infinite score on its own side is 0 * -inf = NaN).
     *
     * @param w        the weight, or null for none; read at {@code wo + j}
     * @param scratch  from {@link #scratch(int) scratch(n)}
     */
    public static double multiLabelSoftMargin(float[] x, int xo, float[] y, int yo, float[] w, int wo, int n,
                                              float[] g, double scale, float[] scratch) {
        int end = vectorPart(n);
        double sum = 0;
        for (int b = 0; b < end; b += BLOCK * L) {
            softMarginBlock(x, xo, y, yo, w, wo, b, Math.min(end, b + BLOCK * L), scratch);
            sum = addLanes(sum, scratch);
        }
        if (g != null) {
            softMarginGrad(x, xo, y, yo, w, wo, end, g, (float) scale, scratch);
        }
        return sum;
    }

    /** One block's terms, summed per lane into the scratch's tail; e = exp(-|x|) kept in the scratch. */
    private static void softMarginBlock(float[] x, int xo, float[] y, int yo, float[] w, int wo, int from, int to,
                                        float[] scratch) {
        FloatVector one = VMath.F_ONE;
        FloatVector acc = VMath.F_ZERO;
        for (int j = from; j < to; j += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + j);
            FloatVector yv = FloatVector.fromArray(F, y, yo + j);
            FloatVector e = VMath.expF(xv.abs().neg());
            FloatVector l = VMath.log1p01(e);
            FloatVector logSigPos = xv.min(VMath.F_ZERO).sub(l);
            FloatVector logSigNeg = xv.neg().min(VMath.F_ZERO).sub(l);
            FloatVector t = yv.mul(logSigPos).add(one.sub(yv).mul(logSigNeg));
            if (w != null) {
                t = t.mul(FloatVector.fromArray(F, w, wo + j));
            }
            acc = acc.add(t.neg());
            e.intoArray(scratch, j);
        }
        acc.intoArray(scratch, scratch.length - L);
    }

    /** The gradient over the vector part, from the e = exp(-|x|) the loss pass left in the scratch. */
    private static void softMarginGrad(float[] x, int xo, float[] y, int yo, float[] w, int wo, int end, float[] g,
                                       float scale, float[] scratch) {
        FloatVector one = VMath.F_ONE;
        FloatVector sc = FloatVector.broadcast(F, scale);
        for (int j = 0; j < end; j += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + j);
            FloatVector yv = FloatVector.fromArray(F, y, yo + j);
            FloatVector e = FloatVector.fromArray(F, scratch, j);
            FloatVector inv = one.div(one.add(e));
            FloatVector einv = e.mul(inv);
            VectorMask<Float> pos = xv.compare(VectorOperators.GE, VMath.F_ZERO);
            FloatVector sigPos = einv.blend(inv, pos);
            FloatVector sigNeg = inv.blend(einv, pos);
            FloatVector d = yv.mul(sigNeg).sub(one.sub(yv).mul(sigPos));
            if (w != null) {
                d = d.mul(FloatVector.fromArray(F, w, wo + j));
            }
            d.mul(sc).neg().intoArray(g, xo + j);
        }
    }
}
