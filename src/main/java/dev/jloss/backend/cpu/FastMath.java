package dev.jloss.backend.cpu;

/**
 * Double-precision functions the CPU kernels call per element, faster than {@link Math}'s where
 * {@code Math} has no intrinsic. Each stays accurate to far below float32 rounding (the tests bound
 * the relative error against {@link StrictMath}).
 */
public final class FastMath {
    private FastMath() {
    }

    /**
     * log(1 + u). JDK 17's {@code Math.log1p} is {@code StrictMath.log1p}, not an intrinsic: it took 65%
     * of SoftMarginLoss's forward time in the benchmark profile. Here: {@code Math.log(1 + u)} (an
     * intrinsic), whose only error is the rounding of 1 + u (relative 1.1e-16 of 1 + u, so at most
     * ~2e-12 of the result for |u| >= 1e-4); below that, the series to u^4 (truncation below u^5 / 5,
     * relative ~2e-17). -1 gives -inf, below -1 and NaN give NaN, +inf gives +inf, -0 gives -0.
     */
    public static double log1p(double u) {
        if (Math.abs(u) < 1e-4) {
            double u2 = u * u;
            return u - u2 * (0.5 - u * (1.0 / 3 - u * 0.25));
        }
        return Math.log(1 + u);
    }
}
