package dev.jloss.backend.cpu.vector;

import dev.jloss.backend.cpu.CpuParallel;
import dev.jloss.backend.cpu.ScalarTerm;
import dev.jloss.plan.PointwisePlan;
import dev.jloss.plan.PointwiseTerm;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * The SIMD path of {@code PointwiseCpu}: every element-wise term, forward, backward and fused, over
 * any operand layout. Reached only through {@link #accepts} and {@link #run}, whose signatures hold
 * no Vector API type, and only when {@code VectorSupport.enabled()}.
 *
 * <p>Work split: the caller's chunks ({@link CpuParallel#sum} with its grain), each cut into blocks
 * of {@link #BLOCK} output elements. A block's float lanes accumulate at most {@code BLOCK / lanes}
 * (256 with 8 lanes) losses each; the block's lanes are then added in double, lane by lane, and the
 * blocks of a chunk in order. Every boundary depends on the sizes only, so results are bitwise the
 * same run to run and on any thread count, and the loss is bitwise the same from {@code forward} and
 * the fused call (the same per-element arithmetic in both).
 *
 * <p>Layouts: an operand with the output's layout is read in place; a broadcast operand, a weight or
 * a pos_weight is first copied into a per-block scratch array (runs along the innermost dimension:
 * {@code System.arraycopy} for stride 1, a fill for stride 0), so the term loops only ever see
 * linear arrays. The gradient of a broadcast operand is written per element into the caller's
 * double array, which {@code PointwiseCpu} then reduces as on its scalar path (see the note below). The last
 * {@code n mod lanes} elements run through the same vector code on padded copies (the padding lanes
 * repeat the last element and are dropped), so every element gets the same arithmetic.
 * NOTE: the contributions to a broadcast operand's gradient come from the scalar term in double
 * ({@code Frame.scalarGrad}): they are summed over the broadcast dimensions, where float-rounded
 * contributions could cancel to an error far above float rounding of the sum.
 *
 * <p>Overflow: a block whose float sum is not finite (a NaN or infinite loss, or float overflow of a
 * loss or of the lane sum where double would not overflow) has its sum recomputed in double with the
 * scalar term ({@link ScalarTerm#value}), so a reduced loss is what the scalar path gives
 * wherever the float path could differ in kind.
 *
 * <p>Data checks (BCE's input in [0, 1], GaussianNLL's var >= 0) are made per vector before anything
 * of it is used; the first bad element of the lowest failing chunk is reported, as on the scalar path.
 */
public final class PointwiseVector {
    static final int L = Lanes.F.length();
    /** Output elements per block; a multiple of every lane count, and divides PointwiseCpu's grain. */
    static final int BLOCK = 2048;

    /** Scratch array of a frame holding a block's unweighted losses (VectorTerms uses 0 to 3). */
    static final int VALUES = 4;
    /** Operand slots: the three operands, then the weight, then pos_weight. */
    static final int A = 0;
    static final int B = 1;
    static final int C = 2;
    static final int W = 3;
    static final int PW = 4;

    /** Offsets into a thread's scratch pool (see {@link Frame}). */
    static final int STAGE = 5;
    static final int OUT_STAGE = 10;
    static final int GO_STAGE = 11;
    static final int GRAD_STAGE = 12;
    /**
     * Per thread, its block-sized scratch arrays, allocated on first use and kept: a call allocates no
     * scratch once its threads have run one (a chunk runs start to end on one thread, nothing nested).
     */
    private static final ThreadLocal<float[][]> POOL = ThreadLocal.withInitial(() -> new float[14][]);

    private PointwiseVector() {
    }

    /**
     * Whether {@link #run} takes this plan: every term and layout, provided its scalar options are
     * floats (not beyond the float range, not flushed to 0 where they are not 0) and the sizes fit the
     * chunks (the grain a multiple of {@link #BLOCK}).
     */
    public static boolean accepts(PointwisePlan p, long grain) {
        return grain % BLOCK == 0 && asFloat(p.p0()) && asFloat(p.p1());
    }

    private static boolean asFloat(double v) {
        float f = (float) v;
        return Float.isFinite(f) && (f != 0 || v == 0);
    }

    /**
     * Runs the plan over all output elements, as {@code PointwiseCpu}'s scalar loop does: writes
     * {@code outNone} (reduction none), the gradients ({@code direct[k]}, or per element into
     * {@code perElement[k]} for a broadcast operand) and returns the sum of the (weighted) losses.
     *
     * @param op         the operands' data (a, b[, c])
     * @param wantLoss   whether the loss is asked for
     * @param outNone    the per-element loss for reduction none, or null
     * @param goNone     the per-element upstream gradient for reduction none, or null
     * @param gScalar    the upstream gradient of every element when {@code goNone} is null
     * @param wantGrad   whether the gradients are asked for
     * @param direct     per differentiable operand, its gradient when it has the output's layout, else null
     * @param perElement per differentiable operand, the per-element contributions when it is broadcast
     * @param grain      the chunk size (PointwiseCpu's)
     */
    public static double run(PointwisePlan p, float[][] op, boolean wantLoss, float[] outNone, float[] goNone,
                             double gScalar, boolean wantGrad, float[][] direct, double[][] perElement, long grain) {
        Job job = new Job(p, op, wantLoss, outNone, goNone, gScalar, wantGrad, direct, perElement);
        return CpuParallel.sum(p.numel(), grain, 1, job::chunk);
    }

    /** One call's fixed inputs; chunks run on it concurrently, each with its own {@link Frame}. */
    static final class Job {
        final PointwisePlan p;
        final PointwiseTerm term;
        final long[] shape;
        /** Per slot its data, or null where absent. */
        final float[][] src = new float[5][];
        /** Per slot its broadcast strides, or null where it is read in place (has the output's layout). */
        final long[][] strides = new long[5][];
        final boolean wantLoss;
        final boolean wantGrad;
        final float[] out;
        final float[] go;
        final double gScalar;
        final float[][] direct;
        final double[][] perElement;

        Job(PointwisePlan p, float[][] op, boolean wantLoss, float[] outNone, float[] goNone, double gScalar,
            boolean wantGrad, float[][] direct, double[][] perElement) {
            this.p = p;
            this.term = p.term();
            this.shape = p.outShape();
            for (int s = 0; s < 3; s++) {
                src[s] = s < op.length ? op[s] : null;
                strides[s] = src[s] == null || linear(p.strides()[s], shape) ? null : p.strides()[s];
            }
            src[W] = p.weight();
            strides[W] = p.weight() == null || linear(p.weightStrides(), shape) ? null : p.weightStrides();
            src[PW] = p.posWeight();
            strides[PW] = p.posWeight() == null || linear(p.posWeightStrides(), shape) ? null : p.posWeightStrides();
            this.wantLoss = wantLoss;
            this.out = outNone;
            this.go = goNone;
            this.gScalar = gScalar;
            this.wantGrad = wantGrad;
            this.direct = wantGrad ? direct : new float[0][];
            this.perElement = wantGrad ? perElement : new double[0][];
        }

        /** Whether strides over {@code shape} are those of a C-order array of that shape. */
        private static boolean linear(long[] strides, long[] shape) {
            long expected = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] != 1 && strides[d] != expected) {
                    return false;
                }
                expected *= shape[d];
            }
            return true;
        }

        /** A chunk of output elements [start, end): its blocks in order, the tail last. */
        double chunk(long start, long end) {
            Frame f = new Frame(this);
            double sum = 0;
            for (long from = start; from < end; from += BLOCK) {
                int len = (int) Math.min(BLOCK, end - from);
                int full = len - len % L;
                if (full > 0) {
                    sum += f.block(from, full);
                }
                if (full < len) {
                    sum += f.tail(from + full, len - full);
                }
            }
            return sum;
        }

        /** The flat index into slot {@code s}'s data of output element {@code i}. */
        long offset(int s, long i) {
            if (strides[s] == null) {
                return i;
            }
            long off = 0;
            long rem = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                off += rem % shape[d] * strides[s][d];
                rem /= shape[d];
            }
            return off;
        }

        /** The data check's error, worded as PointwiseCpu's: the operand, its element's flat index, the value. */
        RuntimeException invalid(int slot, long outputIndex, float value) {
            return p.invalidElement(slot, offset(slot, outputIndex), value);
        }
    }

    /**
     * What a term loop reads and writes for one block: per slot an array and the offset at which the
     * block's element 0 lies in it (the operand's own array at the block's start, or a scratch copy at
     * 0), the outputs likewise, and the options. Term loops run over block-relative indices
     * {@code [0, len)}; see {@link VectorTerms}.
     */
    static final class Frame {
        final Job job;
        final boolean loss;
        final boolean grad;
        final float p0;
        final float p1;
        final double p0d;
        final double p1d;
        /** The upstream gradient of every element when {@link #go} is null. */
        final float gs;
        final double gsd;

        float[] a;
        float[] b;
        float[] c;
        float[] w;
        float[] pw;
        int ao;
        int bo;
        int co;
        int wo;
        int pwo;
        /** Per-element loss (reduction none, or the tail), or null: then losses are only summed. */
        float[] out;
        int oo;
        /** Per-element upstream gradient, or null for {@link #gs}. */
        float[] go;
        int goo;
        /** Gradients of the first and second differentiable operands (PointwisePlan.diff order). */
        float[] g0;
        float[] g1;
        int g0o;
        int g1o;
        /** The output index of the block's element 0 (error messages). */
        long base;

        /**
         * This thread's block-sized scratch arrays ({@link #POOL}): the terms' scratch 0 to 4, then the slots'
         * staged copies ({@link #STAGE} + slot), the tail's output ({@link #OUT_STAGE}), upstream gradient
         * ({@link #GO_STAGE}) and gradients ({@link #GRAD_STAGE} + k). Every use writes what it reads first.
         */
        private final float[][] pool = POOL.get();
        private final float[][] slotArray = new float[5][];
        private final int[] slotOffset = new int[5];
        private long[] idx;

        Frame(Job job) {
            this.job = job;
            this.loss = job.wantLoss;
            this.grad = job.wantGrad;
            this.p0 = (float) job.p.p0();
            this.p1 = (float) job.p.p1();
            this.p0d = job.p.p0();
            this.p1d = job.p.p1();
            this.gs = (float) job.gScalar;
            this.gsd = job.gScalar;
        }

        /** Block-sized scratch array {@code k} (0 to 4) for the terms' passes and the loss values. */
        float[] scratch(int k) {
            return pooled(k);
        }

        private float[] pooled(int k) {
            float[] s = pool[k];
            return s != null ? s : (pool[k] = new float[BLOCK]);
        }

        /** The data check's error for block element i of slot s. */
        RuntimeException invalid(int s, int i) {
            float[] arr = s == A ? a : s == B ? b : c;
            int off = s == A ? ao : s == B ? bo : co;
            return job.invalid(s, base + i, arr[off + i]);
        }

        // ---- blocks ------------------------------------------------------------------------------

        /** Output elements [from, from + len), len a multiple of the lanes: returns their loss sum. */
        double block(long from, int len) {
            bind(from, len, false);
            double s = evaluate(len);
            for (int k = 0; k < job.perElement.length; k++) {
                if (job.perElement[k] != null) {
                    scalarGrad(k, from, len);
                }
            }
            if (!Double.isFinite(s) && loss && job.out == null) {
                s = scalarSum(len);
            }
            return s;
        }

        /** The last len (< lanes) output elements, through the vector code on padded copies. */
        double tail(long from, int len) {
            bind(from, len, true);
            evaluate(L);
            double s = 0;
            for (int j = 0; loss && j < len; j++) {
                s += out[j];
            }
            if (job.out != null) {
                System.arraycopy(out, 0, job.out, (int) from, len);
            }
            for (int k = 0; k < job.direct.length; k++) {
                if (job.direct[k] != null) {
                    System.arraycopy(pooled(GRAD_STAGE + k), 0, job.direct[k], (int) from, len);
                } else if (job.perElement[k] != null) {
                    scalarGrad(k, from, len);
                }
            }
            if (!Double.isFinite(s) && loss && job.out == null) {
                s = scalarSum(len);
            }
            return s;
        }

        /**
         * The term over the bound block [0, len): its data check and shared passes, then its loss (weighted,
         * stored per element where asked, summed: returned) and its derivatives times the upstream gradient,
         * as asked.
         */
        private double evaluate(int len) {
            VectorTerms.check(this, len);
            VectorTerms.prepare(this, len);
            double s = 0;
            if (loss) {
                // unweighted per-element losses go straight to the output, else through scratch
                boolean direct = out != null && w == null;
                float[] val = direct ? out : scratch(VALUES);
                int vo = direct ? oo : 0;
                VectorTerms.value(this, len, val, vo);
                s = weightAndSum(val, vo, len);
            }
            if (grad) {
                VectorTerms.derivative(this, len);
                if (!VectorTerms.scalesItself(job.term)) {
                    scale(g0, g0o, len);
                    if (g1 != null) {
                        scale(g1, g1o, len);
                    }
                }
            }
            return s;
        }

        /**
         * The sum of the block's losses {@code val[vo..]} times the weight, stored per element into
         * {@link #out} where asked: float lanes over the block, then added in double in lane order.
         */
        private double weightAndSum(float[] val, int vo, int len) {
            float[] wa = w;
            float[] o = out;
            int wOff = wo;
            int oOff = oo;
            FloatVector acc = FloatVector.zero(Lanes.F);
            for (int i = 0; i < len; i += L) {
                FloatVector v = FloatVector.fromArray(Lanes.F, val, vo + i);
                if (wa != null) {
                    v = v.mul(FloatVector.fromArray(Lanes.F, wa, wOff + i));
                    if (o != null) {
                        v.intoArray(o, oOff + i);
                    }
                }
                acc = acc.add(v);
            }
            double s = 0;
            for (int j = 0; j < L; j++) {
                s += acc.lane(j);
            }
            return s;
        }

        /** g[go..] *= the upstream gradient (grad_output, or the scalar's share) times the weight. */
        private void scale(float[] g, int gOff, int len) {
            float[] u = go;
            float[] wa = w;
            int uOff = goo;
            int wOff = wo;
            FloatVector scalar = FloatVector.broadcast(Lanes.F, gs);
            for (int i = 0; i < len; i += L) {
                FloatVector up = u == null ? scalar : FloatVector.fromArray(Lanes.F, u, uOff + i);
                if (wa != null) {
                    up = up.mul(FloatVector.fromArray(Lanes.F, wa, wOff + i));
                }
                FloatVector.fromArray(Lanes.F, g, gOff + i).mul(up).intoArray(g, gOff + i);
            }
        }

        /**
         * Points the slots at the block [from, from + len): in place where the layout allows (not in the
         * tail), else at scratch copies (the tail's padded to a full vector with its last element).
         */
        private void bind(long from, int len, boolean tail) {
            base = from;
            int cap = tail ? L : len;
            float[][] arr = slotArray;
            int[] off = slotOffset;
            for (int s = 0; s < 5; s++) {
                float[] src = job.src[s];
                arr[s] = null;
                off[s] = 0;
                if (src == null) {
                    continue;
                }
                if (job.strides[s] == null && !tail) {
                    arr[s] = src;
                    off[s] = (int) from;
                } else {
                    float[] dst = pooled(STAGE + s);
                    fill(dst, s, from, len);
                    Arrays.fill(dst, len, cap, dst[len - 1]);
                    arr[s] = dst;
                }
            }
            a = arr[A];
            b = arr[B];
            c = arr[C];
            w = arr[W];
            pw = arr[PW];
            ao = off[A];
            bo = off[B];
            co = off[C];
            wo = off[W];
            pwo = off[PW];
            if (tail) {
                out = pooled(OUT_STAGE);
                oo = 0;
            } else {
                out = job.out;
                oo = (int) from;
            }
            if (job.go == null) {
                go = null;
            } else if (tail) {
                go = pooled(GO_STAGE);
                System.arraycopy(job.go, (int) from, go, 0, len);
                Arrays.fill(go, len, cap, go[len - 1]);
                goo = 0;
            } else {
                go = job.go;
                goo = (int) from;
            }
            g0 = null;
            g1 = null;
            for (int k = 0; k < job.direct.length; k++) {
                float[] g;
                int o;
                if (job.direct[k] != null && !tail) {
                    g = job.direct[k];
                    o = (int) from;
                } else {
                    g = pooled(GRAD_STAGE + k);
                    o = 0;
                }
                if (k == 0) {
                    g0 = g;
                    g0o = o;
                } else {
                    g1 = g;
                    g1o = o;
                }
            }
        }

        /** dst[j] = slot s's value at output element from + j, j < len: runs along the innermost dimension. */
        private void fill(float[] dst, int s, long from, int len) {
            float[] src = job.src[s];
            long[] st = job.strides[s];
            if (st == null) {
                System.arraycopy(src, (int) from, dst, 0, len);
                return;
            }
            long[] shape = job.shape;
            int nd = shape.length;
            if (idx == null) {
                idx = new long[nd];
            }
            long off = 0;
            long rem = from;
            for (int d = nd - 1; d >= 0; d--) {
                idx[d] = rem % shape[d];
                rem /= shape[d];
                off += idx[d] * st[d];
            }
            long inner = shape[nd - 1];
            long step = st[nd - 1];
            int j = 0;
            while (j < len) {
                int run = (int) Math.min(len - j, inner - idx[nd - 1]);
                if (step == 1) {
                    System.arraycopy(src, (int) off, dst, j, run);
                } else if (step == 0) {
                    Arrays.fill(dst, j, j + run, src[(int) off]);
                } else {
                    for (int r = 0; r < run; r++) {
                        dst[j + r] = src[(int) (off + r * step)];
                    }
                }
                j += run;
                off += run * step;
                idx[nd - 1] += run;
                // carry: the innermost dimension wrapped
                for (int d = nd - 1; d >= 0 && idx[d] == shape[d]; d--) {
                    off -= shape[d] * st[d];
                    idx[d] = 0;
                    if (d > 0) {
                        idx[d - 1]++;
                        off += st[d - 1];
                    }
                }
            }
        }

        /**
         * The contributions to a broadcast operand's gradient from the scalar term in double, as
         * PointwiseCpu's scalar loop stores them (the loop's float ones are dropped).
         * NOTE: such a gradient is a sum over the broadcast dimensions; its terms may cancel (GaussianNLL's
         * d/dvar = 0.5 (1/v - q^2) over a row), and float-rounded contributions then missed the double
         * reference by 3e-4 relative where the scalar path's are exact to 1e-16.
         */
        private void scalarGrad(int k, long from, int len) {
            ScalarTerm t = ScalarTerm.of(job.term);
            int operand = job.p.diff()[k];
            double[] dst = job.perElement[k];
            for (int i = 0; i < len; i++) {
                double av = a[ao + i];
                double bv = b == null ? 0 : b[bo + i];
                double cv = c == null ? 0 : c[co + i];
                double wv = w == null ? 1 : w[wo + i];
                double pwv = pw == null ? 1 : pw[pwo + i];
                double gu = wv * (go != null ? go[goo + i] : gsd);
                dst[(int) from + i] = gu * t.grad(operand, p0d, p1d, av, bv, cv, pwv);
            }
        }

        /**
         * The block's (or tail's) loss sum from the scalar term in double, for a block whose float sum is
         * not finite: the same values as PointwiseCpu's scalar loop sums.
         */
        private double scalarSum(int len) {
            ScalarTerm t = ScalarTerm.of(job.term);
            double sum = 0;
            for (int i = 0; i < len; i++) {
                double av = a[ao + i];
                double bv = b == null ? 0 : b[bo + i];
                double cv = c == null ? 0 : c[co + i];
                double wv = w == null ? 1 : w[wo + i];
                double pwv = pw == null ? 1 : pw[pwo + i];
                sum += wv * t.value(p0d, p1d, av, bv, cv, pwv);
            }
            return sum;
        }
    }
}
