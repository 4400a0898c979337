package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.cpu.vector.PointwiseVector;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.PointwisePlan;
import dev.jloss.plan.PointwiseTerm;

/**
 * Every element-wise loss on the CPU: one pass over the output's elements evaluates the term, writes
 * or accumulates the loss (in double, per fixed chunk) and writes the gradient of each
 * differentiable operand. Operands with the output's shape are read linearly; broadcast operands
 * (and the weight / pos_weight option tensors) through their strides, walked chunk by chunk with an
 * odometer instead of dividing the flat index per element.
 *
 * <p>Work split: fixed chunks of {@link #GRAIN} output elements, whatever the gradients asked for,
 * so the loss is bitwise the same from {@code forward} and from the fused call. The gradient of a
 * broadcast operand (fewer elements than the output) is a sum over the broadcast dimensions: the
 * parallel pass stores each element's contribution, then one thread adds them in output order, in
 * double, so the result is deterministic.
 *
 * <p>Data checks (BCE's input in [0, 1], GaussianNLL's non-negative var) are made on each element as it
 * is read, so the lowest failing chunk's first bad element is reported; an empty output reads nothing,
 * so then the checked operand is scanned on its own, as PyTorch checks it whole.
 */
public final class PointwiseCpu implements LossKernel<PointwisePlan> {
    private static final long GRAIN = 1 << 15;

    /**
     * Every element of {@code out} and of each gradient is written on both paths: reduction none's loss
     * and a same-layout gradient once per output element (the scalar loop's {@code element}; the SIMD
     * blocks and the tail's copy-back in {@code PointwiseVector}), a reduced loss's one element after the
     * sum, a broadcast operand's gradient whole by {@link #reduceBroadcast} (its contributions go to a
     * fresh array of every output element first). Gradients are asked all or none (the {@code Loss} API).
     */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    @Override
    public void run(PointwisePlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        int n = Math.toIntExact(p.numel());
        float[][] op = new float[3][];
        for (int i = 0; i < args.length; i++) {
            op[i] = HostStorage.floats(args[i]);
        }
        boolean none = p.reduction() == Reduction.NONE;
        float[] outArr = out == null ? null : HostStorage.floats(out);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        boolean wantGrad = grads.length > 0 && grads[0] != null;
        int[] diff = p.diff();
        float[][] direct = new float[diff.length][];
        double[][] perElement = new double[diff.length][];
        if (wantGrad) {
            for (int k = 0; k < diff.length; k++) {
                float[] dst = HostStorage.floats(grads[k]);
                // NOTE: an operand with as many elements as the output is not broadcast: same flat layout.
                if (dst.length == n) {
                    direct[k] = dst;
                } else {
                    perElement[k] = new double[n];
                }
            }
        }
        // upstream gradient of a reduced loss: the scalar over the divisor (1/N for mean)
        int checked = p.term().checkedOperand();
        if (n == 0 && checked >= 0) {
            // no output element reads the checked operand, yet PyTorch checks all of it
            float[] values = op[checked];
            for (int j = 0; j < values.length; j++) {
                if (!p.term().valid(values[j])) {
                    throw invalid(p, checked, j, values[j]);
                }
            }
        }
        double gScalar = none ? 1 : (go == null ? 1 : go[0]) / p.divisor();
        Body body = new Body(p, op, outArr != null, none ? outArr : null, none ? go : null, wantGrad, gScalar,
                direct, perElement);
        // ---- SIMD hook: the Vector API path (backend/cpu/vector/PointwiseVector), same chunks and outputs ----
        double sum;
        if (VectorSupport.enabled() && PointwiseVector.accepts(p, GRAIN)) {
            sum = PointwiseVector.run(p, op, outArr != null, none ? outArr : null, none ? go : null, gScalar, wantGrad,
                    direct, perElement, GRAIN);
        } else {
            sum = CpuParallel.sum(n, GRAIN, 1, body::range);
        }
        // ---- end SIMD hook ----
        if (wantGrad) {
            for (int k = 0; k < diff.length; k++) {
                if (perElement[k] != null) {
                    reduceBroadcast(perElement[k], p.outShape(), p.strides()[diff[k]],
                            HostStorage.floats(grads[k]));
                }
            }
        }
        if (!none && outArr != null) {
            outArr[0] = (float) (sum / p.divisor());
        }
    }

    /** The data check's error: names the operand, the element's flat index and its value. */
    private static RuntimeException invalid(PointwisePlan p, int operand, long element, double value) {
        return p.invalidElement(operand, element, (float) value);
    }

    /** dst[j] = sum of perElement[i] over the output elements i that read operand element j, in order of i. */
    private static void reduceBroadcast(double[] perElement, long[] shape, long[] strides, float[] dst) {
        double[] acc = new double[dst.length];
        int nd = shape.length;
        long[] idx = new long[nd];
        long off = 0;
        for (int i = 0; i < perElement.length; i++) {
            acc[(int) off] += perElement[i];
            for (int d = nd - 1; d >= 0; d--) {
                off += strides[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                off -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        for (int j = 0; j < dst.length; j++) {
            dst[j] = (float) acc[j];
        }
    }

    /** The loop over a range of output elements. */
    private static final class Body {
        /** Offset slots: the three operands, then weight, then pos_weight. */
        private static final int W = 3;
        private static final int PW = 4;

        final PointwisePlan p;
        final PointwiseTerm term;
        /** The term's Java math. */
        final ScalarTerm math;
        final float[] a;
        final float[] b;
        final float[] c;
        final float[] w;
        final float[] pw;
        final boolean wantLoss;
        final float[] outNone;
        final float[] goNone;
        final boolean wantGrad;
        final double gScalar;
        final int[] diff;
        final float[][] direct;
        final double[][] perElement;
        final double p0;
        final double p1;
        final int checked;
        final long[] shape;
        /** Broadcast strides per offset slot, zeros for an absent slot. */
        final long[][] strides = new long[5][];
        /** The loss alone of MSE or L1, contiguous and unweighted: {@link #mseRange}/{@link #l1Range}. */
        final boolean plain;

        Body(PointwisePlan p, float[][] op, boolean wantLoss, float[] outNone, float[] goNone, boolean wantGrad,
             double gScalar, float[][] direct, double[][] perElement) {
            this.p = p;
            this.term = p.term();
            this.math = ScalarTerm.of(term);
            this.a = op[0];
            this.b = op[1];
            this.c = op[2];
            this.w = p.weight();
            this.pw = p.posWeight();
            this.wantLoss = wantLoss;
            this.outNone = outNone;
            this.goNone = goNone;
            this.wantGrad = wantGrad;
            this.gScalar = gScalar;
            this.diff = p.diff();
            this.direct = direct;
            this.perElement = perElement;
            this.p0 = p.p0();
            this.p1 = p.p1();
            this.checked = term.checkedOperand();
            this.shape = p.outShape();
            long[] zeros = new long[shape.length];
            for (int k = 0; k < 3; k++) {
                strides[k] = k < p.strides().length ? p.strides()[k] : zeros;
            }
            strides[W] = w == null ? zeros : p.weightStrides();
            strides[PW] = pw == null ? zeros : p.posWeightStrides();
            this.plain = (term == PointwiseTerm.MSE || term == PointwiseTerm.L1) && p.contiguous() && w == null
                    && pw == null && b != null && wantLoss && !wantGrad;
        }

        double range(long start, long end) {
            if (plain) {
                return term == PointwiseTerm.MSE ? mseRange((int) start, (int) end) : l1Range((int) start, (int) end);
            }
            if (p.contiguous()) {
                // four independent sums, elements i = 0, 1, 2, 3 (mod 4) from the chunk's start: the
                // plain path's order too
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int i = (int) start;
                for (; i + 4 <= end; i += 4) {
                    s0 += element(i, i, i, i, i, i);
                    s1 += element(i + 1, i + 1, i + 1, i + 1, i + 1, i + 1);
                    s2 += element(i + 2, i + 2, i + 2, i + 2, i + 2, i + 2);
                    s3 += element(i + 3, i + 3, i + 3, i + 3, i + 3, i + 3);
                }
                for (; i < end; i++) {
                    s0 += element(i, i, i, i, i, i);
                }
                return (s0 + s1) + (s2 + s3);
            }
            double sum = 0;
            int nd = shape.length;
            long[] idx = new long[nd];
            long[] off = new long[5];
            long rem = start;
            for (int d = nd - 1; d >= 0; d--) {
                idx[d] = rem % shape[d];
                rem /= shape[d];
                for (int s = 0; s < 5; s++) {
                    off[s] += idx[d] * strides[s][d];
                }
            }
            for (int i = (int) start; i < end; i++) {
                sum += element(i, (int) off[0], (int) off[1], (int) off[2], (int) off[W], (int) off[PW]);
                for (int d = nd - 1; d >= 0; d--) {
                    for (int s = 0; s < 5; s++) {
                        off[s] += strides[s][d];
                    }
                    if (++idx[d] < shape[d]) {
                        break;
                    }
                    for (int s = 0; s < 5; s++) {
                        off[s] -= strides[s][d] * shape[d];
                    }
                    idx[d] = 0;
                }
            }
            return sum;
        }

        /*
         * The plain path: the loss alone (no gradient) of MSE or L1 over contiguous, unweighted
         * operands, the common case of evaluating predictions. One loop per term, whose term is a
         * constant C2 inlines (the generic path's term.value call is megamorphic once a program uses
         * several losses). Each element gets exactly the generic path's arithmetic and the same sum
         * order (see range), so forward and fused give bitwise the same loss. NOTE: gradients stay on
         * the generic path: with them in these loops, a JVM that had run many forward calls ran
         * the backward ones at 73-219 ms instead of 10 (JMH, scripts/bench.sh).
         */
        private double mseRange(int start, int end) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = start;
            for (; i + 4 <= end; i += 4) {
                s0 += mse(i);
                s1 += mse(i + 1);
                s2 += mse(i + 2);
                s3 += mse(i + 3);
            }
            for (; i < end; i++) {
                s0 += mse(i);
            }
            return (s0 + s1) + (s2 + s3);
        }

        private double mse(int i) {
            double v = ScalarTerm.MSE.value(p0, p1, a[i], b[i], 0, 1);
            if (outNone != null) {
                outNone[i] = (float) v;
            }
            return v;
        }

        private double l1Range(int start, int end) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = start;
            for (; i + 4 <= end; i += 4) {
                s0 += l1(i);
                s1 += l1(i + 1);
                s2 += l1(i + 2);
                s3 += l1(i + 3);
            }
            for (; i < end; i++) {
                s0 += l1(i);
            }
            return (s0 + s1) + (s2 + s3);
        }

        private double l1(int i) {
            double v = ScalarTerm.L1.value(p0, p1, a[i], b[i], 0, 1);
            if (outNone != null) {
                outNone[i] = (float) v;
            }
            return v;
        }

        /** Output element {@code i}, reading the operands at the given offsets; returns its loss. */
        private double element(int i, int oa, int ob, int oc, int ow, int opw) {
            double av = a[oa];
            double bv = b == null ? 0 : b[ob];
            double cv = c == null ? 0 : c[oc];
            double wv = w == null ? 1 : w[ow];
            double pwv = pw == null ? 1 : pw[opw];
            if (checked >= 0) {
                double value = checked == 0 ? av : checked == 1 ? bv : cv;
                if (!term.valid(value)) {
                    throw invalid(p, checked, checked == 0 ? oa : checked == 1 ? ob : oc, value);
                }
            }
            double v = 0;
            if (wantLoss) {
                v = wv * math.value(p0, p1, av, bv, cv, pwv);
                if (outNone != null) {
                    outNone[i] = (float) v;
                }
            }
            if (wantGrad) {
                double gu = wv * (goNone != null ? goNone[i] : gScalar);
                for (int k = 0; k < diff.length; k++) {
                    double d = gu * math.grad(diff[k], p0, p1, av, bv, cv, pwv);
                    if (direct[k] != null) {
                        direct[k][i] = (float) d;
                    } else {
                        perElement[k][i] = d;
                    }
                }
            }
            return v;
        }
    }
}
