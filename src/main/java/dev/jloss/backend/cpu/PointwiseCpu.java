package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.LossKernel;
import dev.jloss.loss.Checks;
import dev.jloss.loss.PointwisePlan;
import dev.jloss.loss.PointwiseTerm;

/**
 * Every element-wise loss on the CPU: one pass over the output's elements evaluates the term, writes
 * or accumulates the loss (in double, per fixed chunk) and writes the gradient of each
 * differentiable operand. Operands with the output's shape are read linearly; broadcast operands
 * through their strides. The gradient of a broadcast operand (smaller than the output) is a sum over
 * the broadcast dimensions, accumulated in double on one thread so that it stays deterministic.
 */
public final class PointwiseCpu implements LossKernel<PointwisePlan> {
    private static final long GRAIN = 1 << 15;

    @Override
    public void run(PointwisePlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        int n = (int) p.numel();
        float[][] op = new float[3][];
        for (int i = 0; i < args.length; i++) {
            op[i] = HostStorage.floats(args[i]);
        }
        boolean none = p.reduction() == Reduction.NONE;
        float[] outArr = out == null ? null : HostStorage.floats(out);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        boolean wantGrad = grads.length > 0 && grads[0] != null;
        int[] diff = p.diff();
        float[][] g = new float[diff.length][];
        double[][] acc = new double[diff.length][];
        boolean serial = false;
        if (wantGrad) {
            for (int k = 0; k < diff.length; k++) {
                g[k] = HostStorage.floats(grads[k]);
                if (g[k].length != n) {
                    acc[k] = new double[g[k].length];
                    serial = true;
                }
            }
        }
        // upstream gradient per element: go[i] for none; else the scalar over the divisor
        double gScalar = none ? 1 : (go == null ? 1 : go[0]) / p.divisor();
        Body body = new Body(p, op, none, outArr, wantGrad ? go : null, wantGrad, gScalar, g, acc);
        double sum = CpuParallel.sum(n, serial ? Math.max(n, 1) : GRAIN, 1, body::range);
        if (serial) {
            for (int k = 0; k < diff.length; k++) {
                if (acc[k] != null) {
                    for (int j = 0; j < acc[k].length; j++) {
                        g[k][j] = (float) acc[k][j];
                    }
                }
            }
        }
        if (!none && outArr != null) {
            outArr[0] = (float) (sum / p.divisor());
        }
    }

    /** The loop over a range of output elements. */
    private static final class Body {
        final PointwisePlan p;
        final PointwiseTerm term;
        final float[] a;
        final float[] b;
        final float[] c;
        final boolean none;
        final float[] out;
        final float[] go;
        final boolean wantGrad;
        final double gScalar;
        final float[][] g;
        final double[][] acc;
        final long[] shape;
        final int nd;
        final int nops;

        Body(PointwisePlan p, float[][] op, boolean none, float[] out, float[] go, boolean wantGrad, double gScalar,
             float[][] g, double[][] acc) {
            this.p = p;
            this.term = p.term();
            this.a = op[0];
            this.b = op[1];
            this.c = op[2];
            this.none = none;
            this.out = out;
            this.go = go;
            this.wantGrad = wantGrad;
            this.gScalar = gScalar;
            this.g = g;
            this.acc = acc;
            this.shape = p.outShape();
            this.nd = shape.length;
            this.nops = p.strides().length;
        }

        double range(long start, long end) {
            double sum = 0;
            double p0 = p.p0();
            double p1 = p.p1();
            long[][] strides = p.strides();
            long[] off = new long[nops];
            float[] w = p.weight();
            float[] pw = p.posWeight();
            int[] diff = p.diff();
            for (int i = (int) start; i < end; i++) {
                long wo = i;
                long pwo = i;
                if (p.contiguous()) {
                    for (int k = 0; k < nops; k++) {
                        off[k] = i;
                    }
                } else {
                    java.util.Arrays.fill(off, 0);
                    wo = 0;
                    pwo = 0;
                    long rem = i;
                    for (int d = nd - 1; d >= 0; d--) {
                        long idx = rem % shape[d];
                        rem /= shape[d];
                        for (int k = 0; k < nops; k++) {
                            off[k] += idx * strides[k][d];
                        }
                        if (w != null) {
                            wo += idx * p.weightStrides()[d];
                        }
                        if (pw != null) {
                            pwo += idx * p.posWeightStrides()[d];
                        }
                    }
                }
                double av = a[(int) off[0]];
                double bv = nops > 1 ? b[(int) off[1]] : 0;
                double cv = nops > 2 ? c[(int) off[2]] : 0;
                double wv = w == null ? 1 : w[(int) wo];
                double pwv = pw == null ? 1 : pw[(int) pwo];
                int bad = term.invalidOperand(av, bv, cv);
                if (bad >= 0) {
                    double v = bad == 0 ? av : bad == 1 ? bv : cv;
                    throw Checks.fail(p.fn(), "%s element %d is %s, expected %s", p.argNames()[bad], off[bad],
                            (float) v, term.expectation());
                }
                double v = wv * term.value(p0, p1, av, bv, cv, pwv);
                if (none && out != null) {
                    out[i] = (float) v;
                }
                sum += v;
                if (wantGrad) {
                    double gu = wv * (none ? (go == null ? 1 : go[i]) : gScalar);
                    for (int k = 0; k < diff.length; k++) {
                        double d = gu * term.grad(diff[k], p0, p1, av, bv, cv, pwv);
                        if (acc[k] != null) {
                            acc[k][(int) off[diff[k]]] += d;
                        } else {
                            g[k][i] = (float) d;
                        }
                    }
                }
            }
            return sum;
        }
    }
}
