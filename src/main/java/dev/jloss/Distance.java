package dev.jloss;

import java.util.Locale;

/**
 * A distance between two stacks of vectors (along their last dimension) for the triplet losses:
 * PyTorch's {@code nn.PairwiseDistance(p, eps)}, {@code ||x - y + eps||_p}, or the cosine
 * distance {@code 1 - F.cosine_similarity(x, y, dim=-1, eps)}.
 *
 * <p>Examples: {@code pairwise(2)} of [3, 4] and [0, 0] is 5.000001 (eps 1e-6 is added to each
 * difference); {@code cosine()} of [1, 0] and [0, 2] is 1.
 *
 * @param kind which distance
 * @param p    the norm's order for {@link Kind#PAIRWISE}: any real, {@code 0} (count of non-zeros)
 *             or an infinity (largest / smallest magnitude), as {@code torch.norm}; unused for cosine
 * @param eps  pairwise: added to every difference; cosine: the least norm a vector is divided by
 */
public record Distance(Kind kind, double p, double eps) {

    /** The two built-in distances. */
    public enum Kind {
        /** {@code ||x - y + eps||_p}. */
        PAIRWISE,
        /** {@code 1 - <x, y> / (max(||x||, eps) max(||y||, eps))}. */
        COSINE
    }

    /** PyTorch's {@code nn.PairwiseDistance()} eps. */
    public static final double PAIRWISE_EPS = 1e-6;
    /** PyTorch's {@code F.cosine_similarity} eps. */
    public static final double COSINE_EPS = 1e-8;

    public Distance {
        if (kind == null) {
            throw new IllegalArgumentException("distance: kind must not be null");
        }
    }

    /** {@code nn.PairwiseDistance()}: the Euclidean distance, eps 1e-6 (TripletMarginWithDistanceLoss's default). */
    public static Distance pairwise() {
        return pairwise(2.0);
    }

    /** {@code nn.PairwiseDistance(p)}, eps 1e-6. */
    public static Distance pairwise(double p) {
        return pairwise(p, PAIRWISE_EPS);
    }

    /** {@code nn.PairwiseDistance(p, eps)}. */
    public static Distance pairwise(double p, double eps) {
        return new Distance(Kind.PAIRWISE, p, eps);
    }

    /** {@code 1 - F.cosine_similarity(x, y, dim=-1)}, eps 1e-8. */
    public static Distance cosine() {
        return cosine(COSINE_EPS);
    }

    /** {@code 1 - F.cosine_similarity(x, y, dim=-1, eps=eps)}. */
    public static Distance cosine(double eps) {
        return new Distance(Kind.COSINE, 0.0, eps);
    }

    /**
     * The option-map spelling: {@code "pairwise"} (p = 2), {@code "pairwise:P"} (e.g.
     * {@code "pairwise:1"}, {@code "pairwise:inf"}) or {@code "cosine"}; anything else is rejected
     * naming the choices.
     */
    public static Distance parse(String fn, String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("pairwise")) {
            return pairwise();
        }
        if (v.equals("cosine")) {
            return cosine();
        }
        if (v.startsWith("pairwise:")) {
            String num = v.substring("pairwise:".length()).trim();
            try {
                return pairwise(switch (num) {
                    case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
                    case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
                    default -> Double.parseDouble(num);
                });
            } catch (NumberFormatException e) {
                // falls through to the message naming the choices
            }
        }
        throw LossArgumentException.of(fn, "option distance_function is '%s', expected one of pairwise, pairwise:P "
                + "(P a number, e.g. pairwise:1), cosine", s);
    }

    /** The option-map spelling, which {@link #parse} reads back (eps is not part of it). */
    @Override
    public String toString() {
        return kind == Kind.COSINE ? "cosine" : "pairwise:" + p;
    }
}
