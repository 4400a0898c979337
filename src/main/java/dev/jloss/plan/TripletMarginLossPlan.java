package dev.jloss.plan;

import dev.jloss.Distance;
import dev.jloss.Reduction;

/**
 * A validated triplet loss, with the distance built in: TripletMarginLoss (a p-norm distance) and
 * TripletMarginWithDistanceLoss (a p-norm or the cosine distance) both run as this family.
 * Operands 0, 1, 2 are anchor, positive and negative; each distance pair (a, p), (a, n) and, with
 * {@code swap}, (p, n) is taken over the pair's broadcast last dimension: for operands of row
 * lengths {@code dx}, {@code dy} it is {@code dx == 1 ? dy : dx}, and an operand whose row length
 * is 1 is re-read along it.
 *
 * @param fn        the loss's functional name, for messages
 * @param layout    rows and how each operand is read; the output shape for {@code none}
 * @param distance  the distance and its options
 * @param margin    the margin
 * @param swap      use {@code min(d(a, n), d(p, n))} as the negative distance
 * @param reduction none, mean (over the rows) or sum
 */
public record TripletMarginLossPlan(String fn, RowBroadcast layout, Distance distance, double margin, boolean swap,
                                Reduction reduction) {

    /** The family both triplet losses run as. */
    public static final KernelFamily<TripletMarginLossPlan> FAMILY =
            new KernelFamily<>("triplet_margin_loss", TripletMarginLossPlan.class);
}
