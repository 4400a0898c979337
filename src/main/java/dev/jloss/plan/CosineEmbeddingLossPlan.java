package dev.jloss.plan;

import dev.jloss.DType;
import dev.jloss.Reduction;

/**
 * A validated cosine embedding loss. Operands 0, 1, 2 are input1, input2 and target (one value per
 * row, float32, int64 or int32). The dot product runs over the broadcast row length
 * ({@code d1 == 1 ? d2 : d1}); each squared magnitude over its own operand's row, as PyTorch's
 * formula sums before it broadcasts.
 *
 * @param fn         the loss's functional name, for messages
 * @param layout     rows and how each operand is read; the output shape for {@code none}
 * @param targetType the target's element type
 * @param margin     the margin for target -1 rows
 * @param reduction  none, mean (over the rows) or sum
 */
public record CosineEmbeddingLossPlan(String fn, RowBroadcast layout, DType targetType, double margin,
                                  Reduction reduction) {
    /**
     * PyTorch's {@code EPSILON}, added to each squared magnitude.
     * NOTE: ATen declares it {@code constexpr float}, so the value added is 1e-12 rounded to float.
     */
    public static final double EPSILON = 1e-12f;


    /** The family's key in every backend. */
    public static final KernelFamily<CosineEmbeddingLossPlan> FAMILY =
            new KernelFamily<>("cosine_embedding_loss", CosineEmbeddingLossPlan.class);
}
