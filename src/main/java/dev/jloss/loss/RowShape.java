package dev.jloss.loss;

import dev.jloss.Tensor;

/**
 * The row layout of the margin losses' input (PyTorch's {@code multi_margin_loss_shape_check}):
 * an (N, C) matrix (N may be 0), a (C) vector as one row, or a 0-d scalar as one row of one class.
 * C must not be 0.
 *
 * @param rows    N (1 for an unbatched input)
 * @param classes C
 */
record RowShape(long rows, long classes) {

    static RowShape of(String fn, Tensor input) {
        long[] s = input.shape();
        boolean ok = (s.length == 2 && s[1] != 0) || (s.length == 1 && s[0] != 0) || s.length == 0;
        Checks.check(ok, fn, "input has shape %s, expected a non-empty (C) vector or (N, C) matrix with C > 0 (N may be 0)",
                Checks.str(s));
        return switch (s.length) {
            case 0 -> new RowShape(1, 1);
            case 1 -> new RowShape(1, s[0]);
            default -> new RowShape(s[0], s[1]);
        };
    }
}
