package dev.jloss;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.jloss.loss.Losses;
import dev.jloss.testing.Closer;
import dev.jloss.testing.Golden;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;

/**
 * Finite-difference check of every loss's gradient, independent of PyTorch, on every available
 * backend (the differences of that backend's own float32 forward against its backward): for each
 * golden case and each differentiable argument, a few elements are perturbed and the central difference of
 * {@code sum(grad_output * forward)}, accumulated in double, is compared with {@link Loss#backward}.
 * Points where the one-sided differences disagree are kinks (|x| at 0, a hinge at its margin) and
 * are skipped; the test fails if too many points of a loss are skipped to mean anything.
 *
 * <p>NOTE: CTCLoss's gradient is, like PyTorch's, the derivative with respect to the logits z of
 * log_probs = log_softmax(z) (it assumes normalised log_probs), so for CTC the perturbation is made
 * on z and pushed through log_softmax.
 *
 * <p>NOTE: a perturbation that leaves the loss's domain (a BCE probability pushed past 0 or 1, a
 * negative variance) is rejected by the loss as by PyTorch, and the point is skipped like a kink. And
 * GaussianNLLLoss's var gradient below eps is, like PyTorch's, the derivative at eps passed through its
 * no-grad clamp, not the derivative of the (flat) loss there, so such var elements are skipped.
 *
 * <p>NOTE: cases with a NaN or infinite input (the {@code nf_} cases) are left out: a difference there
 * is NaN or meaningless, and GoldenTest holds their gradients to PyTorch's.
 */
class GradientCheckTest {
    private static final int POINTS_PER_ARG = 4;
    /** Points checked and skipped, per backend and loss. */
    private static final Map<String, int[]> CHECKED_SKIPPED = new ConcurrentHashMap<>();

    /** Every golden case with a gradient, on every available backend (a container per backend). */
    @TestFactory
    Stream<DynamicNode> finiteDifferences() {
        List<DynamicNode> perBackend = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            List<DynamicTest> tests = new ArrayList<>();
            for (Golden.Case c : Golden.all()) {
                if (c.error == null && c.diff != null && !c.diff.isEmpty() && c.finiteInputs()) {
                    tests.add(dynamicTest(c.toString(), () -> check(b, c)));
                }
            }
            perBackend.add(dynamicContainer(b.name(), tests));
        }
        return perBackend.stream();
    }

    @AfterAll
    static void enoughPointsChecked() {
        for (Map.Entry<String, int[]> e : CHECKED_SKIPPED.entrySet()) {
            int checked = e.getValue()[0];
            int skipped = e.getValue()[1];
            assertTrue(checked >= 10 && checked >= skipped,
                    e.getKey() + ": only " + checked + " points checked, " + skipped + " skipped as kinks");
        }
    }

    private static double objective(Loss loss, Tensor[] in, double[] go) {
        try (Tensor out = loss.forward(in)) {
            float[] v = out.toFloatArray();
            double s = 0;
            for (int i = 0; i < v.length; i++) {
                s += go[i] * v[i];
            }
            return s;
        }
    }

    static void check(Backend b, Golden.Case c) {
        Loss loss = Losses.create(c.loss, c.options);
        Tensor[] in = c.inputsOn(b);
        double[] go = c.grad_output.values();
        boolean ctc = loss.name().equals("CTCLoss");
        Map<String, Tensor> grads;
        try (Closer inputs = new Closer(in); Tensor gout = c.grad_output.on(b); LossResult r = loss.backward(gout, in)) {
            grads = r.gradients();
            Random rnd = new Random(c.id.hashCode());
            for (String name : loss.differentiableArguments()) {
                int ai = loss.argumentNames().indexOf(name);
                float[] x = in[ai].toFloatArray();
                float[] g = grads.get(name).toFloatArray();
                if (x.length == 0) {
                    continue;
                }
                double gmax = 0;
                for (float v : g) {
                    gmax = Math.max(gmax, Math.abs(v));
                }
                double base = Math.abs(objective(loss, in, go));
                if (Double.isNaN(base) || Double.isInfinite(base)) {
                    continue; // nothing to difference (e.g. an infeasible CTC alignment)
                }
                for (int k = 0; k < Math.min(POINTS_PER_ARG, x.length); k++) {
                    int i = rnd.nextInt(x.length);
                    // a power of two, so that x + h and x - h are exact in float32
                    double h = Math.scalb(1.0, -10 + Math.max(0, Math.getExponent(x[i]) + 1));
                    int[] counts = CHECKED_SKIPPED.computeIfAbsent(b.name() + " " + c.loss, n -> new int[2]);
                    boolean clampedVar = loss.name().equals("GaussianNLLLoss") && name.equals("var")
                            && x[i] < ((dev.jloss.loss.GaussianNLLLoss) loss).eps() + h;
                    double fp;
                    double fm;
                    try {
                        fp = perturbed(b, loss, in, ai, x, i, h, ctc, c, go);
                        fm = perturbed(b, loss, in, ai, x, i, -h, ctc, c, go);
                    } catch (IllegalArgumentException outsideTheDomain) {
                        fp = Double.NaN;
                        fm = Double.NaN;
                    }
                    double f0 = objective(loss, in, go);
                    double fwd = (fp - f0) / h;
                    double bwd = (f0 - fm) / h;
                    double fd = (fp - fm) / (2 * h);
                    // float32 rounding of the loss, divided by the step, bounds the difference's noise
                    double noise = 4 * Math.ulp((float) Math.max(Math.abs(f0), Math.max(Math.abs(fp), Math.abs(fm)))) / h;
                    double tol = 2e-3 * Math.abs(g[i]) + 2e-3 * gmax + 4 * noise + 1e-6;
                    if (clampedVar || Double.isNaN(fd) || Math.abs(fwd - bwd) > tol) {
                        synchronized (counts) {
                            counts[1]++;
                        }
                        continue; // a kink, or a point where the loss is not differentiable
                    }
                    synchronized (counts) {
                        counts[0]++;
                    }
                    if (Math.abs(fd - g[i]) > tol) {
                        throw new AssertionFailedError(c + ": d/d" + name + "[" + i + "] analytic " + g[i]
                                + ", finite difference " + fd + " (tolerance " + tol + ")");
                    }
                }
            }
        }
    }

    private static double perturbed(Backend b, Loss loss, Tensor[] in, int ai, float[] x, int i, double h,
                                    boolean ctc, Golden.Case c, double[] go) {
        float[] y = x.clone();
        if (ctc) {
            // log_probs = log_softmax(z) with z = x; perturb z_i and renormalise along the class dimension
            long[] shape = in[ai].shape();
            int C = (int) shape[shape.length - 1];
            int row = i / C;
            y[i] = (float) (x[i] + h);
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < C; j++) {
                m = Math.max(m, y[row * C + j]);
            }
            double s = 0;
            for (int j = 0; j < C; j++) {
                s += Math.exp(y[row * C + j] - m);
            }
            double lse = m + Math.log(s);
            for (int j = 0; j < C; j++) {
                y[row * C + j] = (float) (y[row * C + j] - lse);
            }
        } else {
            y[i] = (float) (x[i] + h);
        }
        Tensor[] args = in.clone();
        try (Tensor moved = b.tensor(y, in[ai].shape())) {
            args[ai] = moved;
            return objective(loss, args, go);
        }
    }
}
