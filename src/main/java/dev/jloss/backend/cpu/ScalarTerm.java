package dev.jloss.backend.cpu;

import dev.jloss.plan.PointwiseTerm;

/**
 * The CPU backend's Java math of each {@link PointwiseTerm}: the per-element terms of the element-wise
 * losses, with their derivatives, in double (the scalar path, and the reference the SIMD path is
 * measured against). Operands
 * are the loss's tensors in PyTorch's order ({@code a}, {@code b}, {@code c}: input, target[, var]
 * or input1, input2, target); {@code p0}/{@code p1} are the loss's scalar options. An optional
 * {@code weight} multiplies value and derivative outside the term; {@code pw} is BCEWithLogits'
 * {@code pos_weight} (1 when absent).
 *
 * <p>One constant per {@link PointwiseTerm}, in the same order; the GPU kernels' math is {@code kernels-cl/loss_terms.h}.
 */
public enum ScalarTerm {
    /** |a-b|; d/da = sign(a-b), 0 at a tie. NOTE: 0 at NaN too, as PyTorch's sign (Math.signum gives NaN). */
    L1 {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            return Math.abs(a - b);
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            return sign(a - b);
        }
    },
    /** (a-b)^2; d/da = 2(a-b). */
    MSE {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            double d = a - b;
            return d * d;
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            return 2 * (a - b);
        }
    },
    /**
     * beta = p0; |d| < beta: 0.5 d^2 / beta, else |d| - 0.5 beta; beta = 0 is L1. d/da = clamp(d / beta,
     * -1, 1), tested in PyTorch's order (d <= -beta, then d >= beta). NOTE: so at beta = 0 a tie
     * (d = 0) gets -1, not L1's 0, and NaN stays NaN: smooth_l1_loss_backward's answer, not l1_loss's.
     */
    SMOOTH_L1 {
        @Override
        public double value(double beta, double p1, double a, double b, double c, double pw) {
            double d = Math.abs(a - b);
            if (beta == 0) {
                return d;
            }
            // m (d - m/2) / beta with m = min(d, beta): 0.5 d^2 / beta below beta, d - 0.5 beta above,
            // without a data-dependent branch (random data mispredicted it half the time)
            double m = Math.min(d, beta);
            return m * (d - 0.5 * m) / beta;
        }

        @Override
        public double grad(int k, double beta, double p1, double a, double b, double c, double pw) {
            double x = a - b;
            if (beta == 0) {
                return x <= -beta ? -1 : x >= beta ? 1 : x / beta; // PyTorch's order: a tie gets -1, NaN stays NaN
            }
            return Math.max(-1, Math.min(1, x / beta)); // NaN stays NaN
        }
    },
    /** delta = p0; |d| < delta: 0.5 d^2, else delta (|d| - 0.5 delta); d/da = clamp(d, -delta, delta). */
    HUBER {
        @Override
        public double value(double delta, double p1, double a, double b, double c, double pw) {
            double d = Math.abs(a - b);
            double m = Math.min(d, delta); // branch-free: m (d - m/2) is 0.5 d^2 below delta, delta (d - delta/2) above
            return m * (d - 0.5 * m);
        }

        @Override
        public double grad(int k, double delta, double p1, double a, double b, double c, double pw) {
            return Math.max(-delta, Math.min(delta, a - b)); // NaN stays NaN
        }
    },
    /**
     * -(b max(log a, -100) + (1-b) max(log(1-a), -100)); d/da = (a-b) / max((1-a) a, eps).
     * NOTE: the derivative is PyTorch's, not the derivative of the clamped value, and its eps is the
     * float 1e-12f (9.99999996e-13), as in ATen's BCE backward.
     */
    BCE {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            double la = Math.max(Math.log(a), -100);
            double l1a = Math.max(FastMath.log1p(-a), -100);
            return -(b * la + (1 - b) * l1a);
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            return (a - b) / Math.max((1 - a) * a, BCE_EPS);
        }



    },
    /**
     * p0 = 1 with a pos_weight: (1-b) a + (1 + (pw-1) b) softplus(-a), d/da = (pw b + 1 - b) sigmoid(a) - pw b;
     * without: (1-b) a + softplus(-a), d/da = sigmoid(a) - b (PyTorch's two formulas, which differ at an
     * infinite target: (1 + 0 inf) is NaN). softplus(-a) is computed stably as max(-a,0) + log1p(exp(-|a|)).
     * NOTE: NaN at a = -inf, as PyTorch's max_val + log(exp(-max_val) + exp(-a - max_val)) (inf - inf).
     */
    BCE_WITH_LOGITS {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            double softplusNeg = a == Double.NEGATIVE_INFINITY ? Double.NaN
                    : Math.max(-a, 0) + FastMath.log1p(Math.exp(-Math.abs(a)));
            return (1 - b) * a + (p0 != 0 ? 1 + (pw - 1) * b : 1) * softplusNeg;
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            if (p0 == 0) {
                return sigmoid(a) - b;
            }
            double t = pw * b;
            return (t + 1 - b) * sigmoid(a) - t;
        }
    },
    /** b (log b - a), 0 where b = 0 (xlogy); d/da = -b. */
    KL_DIV {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            double xlogy = b == 0 && !Double.isNaN(b) ? 0 : b * Math.log(b);
            return xlogy - b * a;
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            return -b;
        }
    },
    /** log_target: exp(b) (b - a); d/da = -exp(b). */
    KL_DIV_LOG_TARGET {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            return Math.exp(b) * (b - a);
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            return -Math.exp(b);
        }
    },
    /** log_input: exp(a) - b a (+ Stirling where b > 1 when p1 = full); d/da = exp(a) - b. */
    POISSON_NLL_LOG_INPUT {
        @Override
        public double value(double eps, double full, double a, double b, double c, double pw) {
            return Math.exp(a) - b * a + stirling(full, b);
        }

        @Override
        public double grad(int k, double eps, double full, double a, double b, double c, double pw) {
            return Math.exp(a) - b;
        }
    },
    /** a - b log(a + eps) (+ Stirling); d/da = 1 - b / (a + eps). */
    POISSON_NLL {
        @Override
        public double value(double eps, double full, double a, double b, double c, double pw) {
            return a - b * Math.log(a + eps) + stirling(full, b);
        }

        @Override
        public double grad(int k, double eps, double full, double a, double b, double c, double pw) {
            return 1 - b / (a + eps);
        }
    },
    /**
     * log(1 + exp(-b a)); d/da = -b sigmoid(-b a), NaN where -b a = +inf (PyTorch's -b e / (1 + e) with
     * e = exp(-b a) is inf/inf there). NOTE: computed stably (softplus); PyTorch evaluates
     * log(1 + exp(z)) literally, so where exp(-b a) overflows at a finite -b a it gives inf (and a NaN
     * gradient) and this gives the finite, exact value.
     */
    SOFT_MARGIN {
        @Override
        public double value(double p0, double p1, double a, double b, double c, double pw) {
            double z = -b * a;
            return Math.max(z, 0) + FastMath.log1p(Math.exp(-Math.abs(z)));
        }

        @Override
        public double grad(int k, double p0, double p1, double a, double b, double c, double pw) {
            double z = -b * a;
            return z == Double.POSITIVE_INFINITY ? Double.NaN : -b * sigmoid(z);
        }
    },
    /**
     * Operands input1, input2, target: max(0, -c (a - b) + margin); d/da = -c [v >= 0], d/db = c [v >= 0]
     * with v = -c (a - b) + margin: PyTorch's clamp_min backward (where(v >= 0, grad, 0), false at a
     * NaN v) times mul's backward (-c), so a NaN or infinite target still gives 0 * c = NaN.
     */
    MARGIN_RANKING {
        @Override
        public double value(double margin, double p1, double a, double b, double c, double pw) {
            return Math.max(0, -c * (a - b) + margin);
        }

        @Override
        public double grad(int k, double margin, double p1, double a, double b, double c, double pw) {
            double pass = -c * (a - b) + margin >= 0 ? 1 : 0;
            return pass * (k == 0 ? -c : c);
        }
    },
    /**
     * PyTorch's composition: (b != 1 ? max(0, margin - a) : 0) + (b != -1 ? a : 0), so a target of
     * neither 1 nor -1 gets both terms.
     */
    HINGE_EMBEDDING {
        @Override
        public double value(double margin, double p1, double a, double b, double c, double pw) {
            return (b != 1 ? Math.max(0, margin - a) : 0) + (b != -1 ? a : 0);
        }

        @Override
        public double grad(int k, double margin, double p1, double a, double b, double c, double pw) {
            return (b != 1 && margin - a >= 0 ? -1 : 0) + (b != -1 ? 1 : 0);
        }
    },
    /**
     * Operands input, target, var: 0.5 (log v + (a-b)^2 / v) (+ 0.5 log 2pi when p1 = full), with
     * v = max(var, eps). NOTE: PyTorch clamps a clone of var under no_grad, so d/dvar is the
     * derivative at the clamped value passed straight through: 0.5 (1/v - (a-b)^2 / v^2).
     */
    GAUSSIAN_NLL {
        @Override
        public double value(double eps, double full, double a, double b, double c, double pw) {
            double v = Math.max(c, eps);
            double d = a - b;
            return 0.5 * (Math.log(v) + d * d / v) + (full != 0 ? 0.5 * Math.log(2 * Math.PI) : 0);
        }

        @Override
        public double grad(int k, double eps, double full, double a, double b, double c, double pw) {
            double v = Math.max(c, eps);
            double d = a - b;
            return k == 0 ? d / v : 0.5 * (1 / v - d * d / (v * v));
        }



    };

    /** The loss of one element. */
    public abstract double value(double p0, double p1, double a, double b, double c, double pw);

    /** The derivative of {@link #value} with respect to operand {@code k} (0 = a, 1 = b, 2 = c). */
    public abstract double grad(int k, double p0, double p1, double a, double b, double c, double pw);

    private static final ScalarTerm[] BY_TERM = values();

    /** The CPU implementation of a plan's term: the constant of the same name (a test checks the two enums agree). */
    public static ScalarTerm of(PointwiseTerm term) {
        return BY_TERM[term.ordinal()];
    }

    private static final double BCE_EPS = 1e-12f;

    /** sign(x) with sign(NaN) = 0, as PyTorch's. */
    static double sign(double x) {
        // integer arithmetic on the bits, no branch and no select: x > 0 ? 1 : x < 0 ? -1 : 0 mispredicted
        // half the time on random data, and whether C2 made selects of it into cmov varied run to run
        // (an L1 fused loop over 2^24 elements: 18 to 90 ms; scripts/bench.sh's l1_loss fused: 102 -> 79 ms)
        long bits = Double.doubleToRawLongBits(x);
        long magnitude = bits & Long.MAX_VALUE;
        long nonZero = ((magnitude - 1) >>> 63) ^ 1;
        long notNaN = ((0x7ff0000000000000L - magnitude) >>> 63) ^ 1;
        return (nonZero & notNaN) * (1 - 2 * (bits >>> 63)); // 0 at a tie (either zero) and at NaN
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** Stirling's approximation term of PoissonNLLLoss(full=True), only where target > 1. */
    static double stirling(double full, double b) {
        return full != 0 && b > 1 ? b * Math.log(b) - b + 0.5 * Math.log(2 * Math.PI * b) : 0;
    }
}
