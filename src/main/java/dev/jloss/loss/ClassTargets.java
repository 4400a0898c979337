package dev.jloss.loss;

import dev.jloss.Tensor;
import java.util.Arrays;

/**
 * The shapes of a class-index loss (NLLLoss, CrossEntropyLoss with class indices), checked as
 * PyTorch's {@code nll_loss_nd} checks them: input {@code (C)} with a 0-d target, {@code (N, C)}
 * with target {@code (N)}, or {@code (N, C, d1, ..., dk)} with target {@code (N, d1, ..., dk)}.
 * Every shape is read as {@code (batch, classes, spatial)} with {@code spatial = d1 * ... * dk}
 * (1 without K-dim): element {@code (n, c, s)} of the input sits at {@code (n * C + c) * S + s},
 * the class dimension has stride {@code S}, and position {@code n * S + s} of the target picks it.
 *
 * @param batch    N (1 for an unbatched input)
 * @param classes  C
 * @param spatial  S = d1 * ... * dk
 * @param outShape the per-position output shape: {@code []} unbatched, else {@code (N, d1, ..., dk)}
 */
public record ClassTargets(long batch, long classes, long spatial, long[] outShape) {

    /** Batch, class and spatial sizes of an input of at least one dimension. */
    static ClassTargets ofInput(String fn, Tensor input) {
        long[] in = input.shape();
        Checks.check(in.length >= 1, fn, "input has 0 dimensions (shape []), expected (C), (N, C) or (N, C, d1, ..., dk)");
        if (in.length == 1) {
            return new ClassTargets(1, in[0], 1, new long[0]);
        }
        long[] out = new long[in.length - 1];
        out[0] = in[0];
        System.arraycopy(in, 2, out, 1, in.length - 2);
        long spatial = Tensor.numel(Arrays.copyOfRange(in, 2, in.length));
        return new ClassTargets(in[0], in[1], spatial, out);
    }

    /** Checks an integer target against the input's shape; returns the sizes. */
    static ClassTargets classIndex(String fn, Tensor input, Tensor target) {
        ClassTargets s = ofInput(fn, input);
        Checks.indexTensor(fn, "target", target);
        if (input.dim() == 1) {
            Checks.check(target.dim() == 0, fn,
                    "target has shape %s, expected [] (one class index for an unbatched input of shape %s)",
                    Checks.str(target.shape()), Checks.str(input.shape()));
        } else {
            Checks.shape(fn, "target", target, s.outShape);
        }
        return s;
    }

    /** Checks a per-class weight option against the class count. */
    void checkWeight(String fn, float[] weight) {
        if (weight != null) {
            Checks.length(fn, "weight", weight, classes, "one per class");
        }
    }

    /** Number of target positions, N * S. */
    long positions() {
        return batch * spatial;
    }

    /** A weight option read from PyTorch-named options: a 1-D tensor, or null. */
    static float[] weightOption(String fn, Options o) {
        HostArray w = o.getArray("weight");
        if (w == null) {
            return null;
        }
        Checks.check(w.shape().length == 1, fn, "weight has shape %s, expected a 1-D tensor (one weight per class)",
                Checks.str(w.shape()));
        return w.values();
    }
}
