package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.NLLLossPlan;
import java.util.Arrays;

/**
 * nll_loss on the CPU: one sweep over the target positions, in fixed chunks across threads. Each
 * position reads its target (range-checked as it is read), then the one input element it picks,
 * {@code x[(n * C + t) * S + s]}, and writes the loss and/or that element's gradient. A {@code mean}
 * that writes the gradient first sums the targets' weights (a sweep over the targets alone), so the
 * gradient is written already divided; a forward-only {@code mean} sums them in the same sweep.
 *
 * <pre>
 *   l_i = -w[t_i] x[n, t_i, s]            (0 where t_i == ignore_index)
 *   dL/dx[n, t_i, s] = -w[t_i] g_i        g_i = grad_output[i] (none), grad_output (sum),
 *                                         grad_output / sum_i w[t_i] (mean)
 * </pre>
 */
public final class NLLLossCpu implements LossKernel<NLLLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    private static final long GRAIN = 1 << 14;
    /** Gradient elements per chunk of the zero fill. */
    private static final long FILL = 1 << 16;

    @Override
    public void run(NLLLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        float[] x = HostStorage.floats(args[0]);
        ClassTargetsCpu targets = new ClassTargetsCpu(args[1]);
        float[] gx = grads[0] == null ? null : HostStorage.floats(grads[0]);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        float[] o = out == null ? null : HostStorage.floats(out);
        boolean none = p.reduction() == Reduction.NONE;
        boolean mean = p.reduction() == Reduction.MEAN;
        int positions = (int) p.positions();
        int classes = (int) p.classes();
        int spatial = (int) p.spatial();
        float[] weight = p.weight();
        long ignore = p.ignoreIndex();
        String fn = p.fn();

        boolean weightsFirst = mean && gx != null;
        double[] chunkWeights = mean && !weightsFirst ? ClassTargetsCpu.chunkPartials(positions, GRAIN) : null;
        double totalWeight = weightsFirst ? targets.weightSum(fn, positions, classes, weight, ignore, GRAIN) : 1;
        // PyTorch's grad = -(grad_output / total_weight), then times w[t]: a zero weight over a zero
        // total gives NaN, as there
        double reducedGrad = none || gx == null ? 0 : -((go == null ? 1.0 : go[0]) / totalWeight);

        // ---- the gradient's every element is written, not a pre-zeroed array relied on: zeros first,
        // in parallel chunks at memory speed (Arrays.fill runs as fast as vector stores, measured), then
        // the targets' elements by the sweep below ----
        if (gx != null) {
            CpuParallel.forEach(gx.length, FILL, 1, (s, e) -> Arrays.fill(gx, (int) s, (int) e, 0f));
        }
        // ---- end ----
        double sum = CpuParallel.sum(positions, GRAIN, 1, (start, end) -> {
            double acc = 0;
            double weights = 0;
            for (int i = (int) start; i < end; i++) {
                long t = targets.get(i);
                if (t == ignore) {
                    if (none && o != null) {
                        o[i] = 0;
                    }
                    continue;
                }
                if (t < 0 || t >= classes) {
                    throw ClassTargetsCpu.outOfBounds(fn, t, classes, ignore);
                }
                int n = i / spatial;
                int xi = (n * classes + (int) t) * spatial + (i - n * spatial);
                double w = ClassTargetsCpu.weightOf(weight, (int) t);
                double l = -x[xi] * w;
                acc += l;
                weights += w;
                if (none && o != null) {
                    o[i] = (float) l;
                }
                if (gx != null) {
                    double g = none ? -(go == null ? 1.0 : go[i]) : reducedGrad;
                    gx[xi] = (float) (g * w);
                }
            }
            if (chunkWeights != null) {
                chunkWeights[(int) (start / GRAIN)] = weights;
            }
            return acc;
        });
        if (!none && o != null) {
            if (chunkWeights != null) {
                totalWeight = ClassTargetsCpu.sumInOrder(chunkWeights);
            }
            o[0] = (float) (mean ? sum / totalWeight : sum);
        }
    }
}
