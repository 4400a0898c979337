package dev.jloss.loss;

import dev.jloss.DType;
import dev.jloss.Reduction;
import dev.jloss.backend.KernelFamily;

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
public record CosineEmbeddingPlan(String fn, RowBroadcast layout, DType targetType, double margin,
                                  Reduction reduction) {

    /** The family's key in every backend. */
    public static final KernelFamily<CosineEmbeddingPlan> FAMILY =
            new KernelFamily<>("cosine_embedding_loss", CosineEmbeddingPlan.class);
}
