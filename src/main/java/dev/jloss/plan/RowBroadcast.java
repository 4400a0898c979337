package dev.jloss.plan;

import dev.jloss.LossArgumentException;
import java.util.Arrays;

/**
 * How a row-wise loss (cosine embedding, triplet) reads its operands: every operand is a stack of
 * rows (its last dimension; a 0-d operand or a target is one value per row) over leading
 * dimensions that broadcast against each other as in PyTorch. Row {@code r} of the broadcast
 * leading shape starts in operand {@code k} at {@link #offset(int, long) offset(k, r)}; an operand
 * whose leading size is 1 along a dimension is re-read along it (stride 0).
 *
 * <p>Example: anchor {@code [3, 4]} with positive {@code [1, 4]}: shape {@code [3]}, rows 3,
 * strides {@code [[4], [0]]}, cols {@code [4, 4]}, not dense.
 *
 * @param shape   the broadcast leading shape: the output's shape for {@code reduction=none}
 * @param rows    the number of rows, the product of {@code shape}
 * @param strides per operand, its element stride along each dimension of {@code shape}
 *                (0 where it broadcasts)
 * @param cols    per operand, the length of its last dimension (1 for a 0-d operand or a target)
 * @param dense   every operand has the full leading shape, so row {@code r} of operand {@code k}
 *                starts at {@code r * cols[k]} and no operand's row is read twice
 */
public record RowBroadcast(long[] shape, long rows, long[][] strides, long[] cols, boolean dense) {

    public RowBroadcast {
        shape = shape.clone();
        strides = Arrays.stream(strides).map(long[]::clone).toArray(long[][]::new);
        cols = cols.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[][] strides() {
        return Arrays.stream(strides).map(long[]::clone).toArray(long[][]::new);
    }

    @Override
    public long[] cols() {
        return cols.clone();
    }

    /** Length of operand {@code k}'s last dimension, without a copy. */
    public long cols(int k) {
        return cols[k];
    }

    /** Element offset in operand {@code k} where row {@code row} of the broadcast shape starts. */
    public long offset(int k, long row) {
        if (dense) {
            return row * cols[k];
        }
        long[] s = strides[k];
        long off = 0;
        long rem = row;
        for (int d = shape.length - 1; d >= 0; d--) {
            long idx = rem % shape[d];
            rem /= shape[d];
            off += idx * s[d];
        }
        return off;
    }

    /**
     * Broadcasts the operands' leading shapes as PyTorch does, failing with a message that names the
     * two operands that disagree and their full shapes.
     *
     * @param fn     the loss's functional name
     * @param names  the operands' names
     * @param full   the operands' full shapes, for messages
     * @param lead   the operands' leading shapes (their rows' index space)
     * @param cols   the operands' row lengths
     */
    public static RowBroadcast of(String fn, String[] names, long[][] full, long[][] lead, long[] cols) {
        int n = 0;
        for (long[] l : lead) {
            n = Math.max(n, l.length);
        }
        long[] shape = new long[n];
        int[] from = new int[n];
        Arrays.fill(shape, 1);
        Arrays.fill(from, -1);
        for (int k = 0; k < lead.length; k++) {
            for (int i = 0; i < lead[k].length; i++) {
                int d = n - lead[k].length + i;
                long s = lead[k][i];
                if (s == 1) {
                    continue;
                }
                if (from[d] < 0) {
                    shape[d] = s;
                    from[d] = k;
                } else if (shape[d] != s) {
                    throw LossArgumentException.of(fn, "%s with shape %s and %s with shape %s cannot be broadcast together",
                            names[from[d]], java.util.Arrays.toString(full[from[d]]), names[k], java.util.Arrays.toString(full[k]));
                }
            }
        }
        boolean dense = true;
        long[][] strides = new long[lead.length][];
        for (int k = 0; k < lead.length; k++) {
            dense &= Arrays.equals(lead[k], shape);
            strides[k] = new long[n];
            long s = cols[k];
            for (int d = n - 1; d >= 0; d--) {
                int j = d - (n - lead[k].length);
                long size = j >= 0 ? lead[k][j] : 1;
                strides[k][d] = size == 1 ? 0 : s;
                s *= size;
            }
        }
        return new RowBroadcast(shape, dev.jloss.Tensor.numel(shape), strides, cols, dense);
    }
}
