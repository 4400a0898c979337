package dev.jloss;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Every golden case (real PyTorch, float64) on every available backend: the loss, the gradient for
 * a random upstream gradient, and the fused loss + gradient of the sum; cases PyTorch rejects must
 * be rejected with an IllegalArgumentException.
 */
class GoldenTest {

    @TestFactory
    Stream<DynamicNode> goldenCasesOnEveryBackend() {
        List<Golden.Case> cases = Golden.all();
        assertTrue(cases.size() > 0, "no golden cases found");
        List<DynamicNode> perBackend = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            List<DynamicNode> tests = new ArrayList<>();
            for (Golden.Case c : cases) {
                tests.add(dynamicTest(c.toString(), () -> check(b, c)));
            }
            perBackend.add(dynamicContainer(b.name(), tests));
        }
        return perBackend.stream();
    }

    static void check(Backend b, Golden.Case c) {
        if (c.error != null) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                Loss loss = Losses.create(c.loss, c.options);
                Tensor[] in = c.inputsOn(b);
                try (Closer inputs = new Closer(in); Tensor out = loss.forward(in)) {
                    out.toFloatArray();
                }
            }, () -> c + ": PyTorch raised '" + c.error + "', jloss accepted it");
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), c + ": empty message");
            return;
        }
        Loss loss = Losses.create(c.loss, c.options);
        Tensor[] in = c.inputsOn(b);
        try (Closer inputs = new Closer(in)) {
            try (Tensor out = loss.forward(in)) {
                assertAllClose(c + " forward", c.output.shape(), c.output.values(), out.shape(), out.toFloatArray());
            }
            if (c.diff == null || c.diff.isEmpty()) {
                return;
            }
            assertEquals(c.diff, loss.differentiableArguments(), c + ": differentiable arguments");
            try (Tensor go = c.grad_output.on(b)) {
                try (LossResult r = loss.backward(go, in)) {
                    compareGrads(c + " backward", c.grads, r);
                }
                try (LossResult r = loss.forwardBackward(in)) {
                    assertAllClose(c + " fused forward", c.output.shape(), c.output.values(), r.loss().shape(),
                            r.loss().toFloatArray());
                    compareGrads(c + " fused grad of sum", c.grads_sum, r);
                }
                try (LossResult r = loss.forwardBackwardWith(go, in)) {
                    assertAllClose(c + " fused(grad_output) forward", c.output.shape(), c.output.values(),
                            r.loss().shape(), r.loss().toFloatArray());
                    compareGrads(c + " fused(grad_output)", c.grads, r);
                }
            }
        }
    }

    private static void compareGrads(String what, Map<String, Golden.Arr> expected, LossResult r) {
        for (Map.Entry<String, Golden.Arr> e : expected.entrySet()) {
            Tensor g = r.grad(e.getKey());
            assertAllClose(what + " d/d" + e.getKey(), e.getValue().shape(), e.getValue().values(), g.shape(),
                    g.toFloatArray());
        }
    }
}
