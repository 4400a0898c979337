package dev.jloss.plan;

/**
 * The per-element term of an element-wise loss: the id every backend implements (the CPU's Java math
 * is {@code backend/cpu/ScalarTerm}, the GPU kernels' {@code kernels-cl/loss_terms.h}, which switch on
 * the ordinal as {@code TERM_<NAME>}; tests check that all three agree), and the data check PyTorch makes
 * on one operand (BCE's input in [0, 1], GaussianNLL's var >= 0).
 *
 * <p>Operands are the loss's tensors in PyTorch's order ({@code a}, {@code b}, {@code c}: input,
 * target[, var] or input1, input2, target); the two scalar options {@code p0}, {@code p1} are in the plan.
 */
public enum PointwiseTerm {
    /** L1Loss: |a - b|. */
    L1,
    /** MSELoss: (a - b)^2. */
    MSE,
    /** SmoothL1Loss, p0 = beta. */
    SMOOTH_L1,
    /** HuberLoss, p0 = delta. */
    HUBER,
    /** BCELoss; input checked to lie in [0, 1]. */
    BCE(0, "a value in [0, 1]"),
    /** BCEWithLogitsLoss, with pos_weight. */
    /** BCEWithLogitsLoss, p0 = 1 when pos_weight is given (PyTorch's formula differs without it at inf). */
    BCE_WITH_LOGITS,
    /** KLDivLoss. */
    KL_DIV,
    /** KLDivLoss with log_target. */
    KL_DIV_LOG_TARGET,
    /** PoissonNLLLoss with log_input; p0 = eps, p1 = full. */
    POISSON_NLL_LOG_INPUT,
    /** PoissonNLLLoss; p0 = eps, p1 = full. */
    POISSON_NLL,
    /** SoftMarginLoss. */
    SOFT_MARGIN,
    /** MarginRankingLoss (input1, input2, target), p0 = margin. */
    MARGIN_RANKING,
    /** HingeEmbeddingLoss, p0 = margin. */
    HINGE_EMBEDDING,
    /** GaussianNLLLoss (input, target, var); p0 = eps, p1 = full; var checked to be non-negative. */
    GAUSSIAN_NLL(2, "a non-negative variance");

    private final int checkedOperand;
    private final String expectation;

    PointwiseTerm() {
        this(-1, "");
    }

    PointwiseTerm(int checkedOperand, String expectation) {
        this.checkedOperand = checkedOperand;
        this.expectation = expectation;
    }

    /**
     * The operand whose values PyTorch checks (0 = a, 2 = c), or -1: BCE's input, GaussianNLL's var. Every
     * element of it is checked, even those an empty broadcast output never reads.
     */
    public int checkedOperand() {
        return checkedOperand;
    }

    /** Whether PyTorch accepts this value of {@link #checkedOperand()}; NaN is rejected where PyTorch's test fails. */
    public boolean valid(double v) {
        return switch (this) {
            case BCE -> v >= 0 && v <= 1;
            case GAUSSIAN_NLL -> !(v < 0); // NaN passes, as in PyTorch
            default -> true;
        };
    }

    /** The index of the operand whose value PyTorch rejects at this element, or -1 when it is valid. */
    public int invalidOperand(double a, double b, double c) {
        int k = checkedOperand;
        return k < 0 || valid(k == 0 ? a : k == 1 ? b : c) ? -1 : k;
    }

    /** What {@link #valid} expects, for the error message. */
    public String expectation() {
        return expectation;
    }
}
