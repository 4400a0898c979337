package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiLabelSoftMarginLossPlan;
import dev.jloss.backend.cpu.vector.RowsVector;

/**
 * MultiLabelSoftMarginLoss on the CPU: one pass over the rows (fixed chunks, {@link CpuParallel}),
 * each row's offsets computed once from its index, then its classes read through the operands'
 * strides along the class axis. Per element, with {@code e = exp(-|x|)}:
 * <pre>
 *   log sigmoid(x)  = min(x, 0)  - log1p(e)
 *   log sigmoid(-x) = min(-x, 0) - log1p(e)
 *   term = -w (y log sigmoid(x) + (1 - y) log sigmoid(-x))          row loss = sum(term) / C
 *   d/dx = -w (y sigmoid(-x) - (1 - y) sigmoid(x)) / C              sigmoid from the same e
 * </pre>
 * When the input itself is broadcast (a target or weight with more rows than the input), several
 * rows feed one input element: the gradient is then accumulated in double on one thread, in row
 * order, so that it stays deterministic.
 */
public final class MultiLabelSoftMarginLossCpu implements LossKernel<MultiLabelSoftMarginLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    /** Roughly this many elements (each an exp and a log1p) per chunk. */
    private static final long CHUNK_WORK = 1 << 12;

    @Override
    public void run(MultiLabelSoftMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long rows = p.rows();
        int classes = (int) p.classes();
        double divisor = p.divisor();
        float[] x = HostStorage.floats(args[0]);
        float[] y = HostStorage.floats(args[1]);
        float[] w = p.weight();
        boolean none = p.reduction() == Reduction.NONE;
        boolean mean = p.reduction() == Reduction.MEAN;
        float[] o = out == null ? null : HostStorage.floats(out);
        float[] g = grads[0] == null ? null : HostStorage.floats(grads[0]);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        double reducedScale = none ? 0 : (go == null ? 1.0 : go[0]) / divisor / (mean ? rows : 1);
        double[] acc = g != null && p.inputBroadcast() ? new double[g.length] : null;

        long[] rowShape = p.rowShape();
        int axis = p.classAxis();
        long[] xs = rowStrides(p.inputStrides(), axis);
        long[] ys = rowStrides(p.targetStrides(), axis);
        long[] ws = w == null ? new long[rowShape.length] : rowStrides(p.weightStrides(), axis);
        long xc = p.inputStrides()[axis];
        long yc = p.targetStrides()[axis];
        long wc = w == null ? 0 : p.weightStrides()[axis];

        long grain = acc != null ? Math.max(rows, 1) : CpuParallel.grain(classes, CHUNK_WORK);
        // >>> SIMD hook (cpu.vector.RowsVector): contiguous classes, the input not broadcast; the scalar
        // loop below then runs only over the row's tail (fewer than a vector)
        boolean simd = VectorSupport.enabled() && acc == null && xc == 1 && yc == 1 && (w == null || wc == 1)
                && classes >= VectorSupport.floatLanes();
        int vectorPart = simd ? RowsVector.vectorPart(classes) : 0;
        // <<< SIMD hook
        double total = CpuParallel.sum(rows, grain, classes, (start, end) -> {
            double partial = 0;
            float[] simdScratch = simd ? RowsVector.scratch(classes) : null;  // SIMD hook
            for (long r = start; r < end; r++) {
                long xo = 0;
                long yo = 0;
                long wo = 0;
                long rem = r;
                for (int d = rowShape.length - 1; d >= 0; d--) {
                    long idx = rem % rowShape[d];
                    rem /= rowShape[d];
                    xo += idx * xs[d];
                    yo += idx * ys[d];
                    wo += idx * ws[d];
                }
                double scale = g == null ? 0 : none ? (go == null ? 1.0 : go[(int) r]) / divisor : reducedScale;
                double rowSum = 0;
                // >>> SIMD hook
                if (simd) {
                    rowSum = RowsVector.multiLabelSoftMargin(x, (int) xo, y, (int) yo, w, (int) wo, classes, g, scale,
                            simdScratch);
                }
                // <<< SIMD hook
                for (int j = vectorPart; j < classes; j++) {
                    int xi = (int) (xo + j * xc);
                    double xv = x[xi];
                    double yv = y[(int) (yo + j * yc)];
                    double wv = w == null ? 1.0 : w[(int) (wo + j * wc)];
                    double e = Math.exp(-Math.abs(xv));
                    double log1pE = FastMath.log1p(e);
                    double logSigPos = Math.min(xv, 0) - log1pE;
                    double logSigNeg = Math.min(-xv, 0) - log1pE;
                    rowSum += -(yv * logSigPos + (1 - yv) * logSigNeg) * wv;
                    if (g != null) {
                        double inv = 1 / (1 + e);
                        double sigPos = xv >= 0 ? inv : e * inv;
                        double sigNeg = xv >= 0 ? e * inv : inv;
                        double d = -(yv * sigNeg - (1 - yv) * sigPos) * wv * scale;
                        if (acc != null) {
                            acc[xi] += d;
                        } else {
                            g[xi] = (float) d;
                        }
                    }
                }
                double loss = rowSum / divisor;
                if (none && o != null) {
                    o[(int) r] = (float) loss;
                }
                partial += loss;
            }
            return partial;
        });
        if (acc != null) {
            for (int i = 0; i < acc.length; i++) {
                g[i] = (float) acc[i];
            }
        }
        if (!none && o != null) {
            o[0] = (float) (mean ? total / rows : total);
        }
    }

    /** The strides over {@code shape} without {@code axis}, in order. */
    private static long[] rowStrides(long[] strides, int axis) {
        long[] s = new long[strides.length - 1];
        for (int d = 0, k = 0; d < strides.length; d++) {
            if (d != axis) {
                s[k++] = strides[d];
            }
        }
        return s;
    }
}
