package dev.jloss.loss;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The element-wise losses (L1, SmoothL1, Huber, BCE, BCEWithLogits, KLDiv, PoissonNLL, GaussianNLL,
 * SoftMargin, MarginRanking, HingeEmbedding) against naive double-precision reference loops written
 * here, on an R x C = 133,867-element input (several chunks: the multithreaded path), loss and
 * gradient, every reduction, with broadcast operands whose gradients are sums over the broadcast
 * dimension; plus determinism, the seed article's L1 example and the shared bad-input messages.
 */
class PointwiseLossesTest {
    private static final int R = 263;
    private static final int C = 509;
    private static final List<Reduction> NMS = List.of(Reduction.NONE, Reduction.MEAN, Reduction.SUM);
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    /**
     * An operand of the reference: its tensor shape and how it is read over the R x C output (varies with
     * the row, with the column, or both).
     */
    record Operand(long[] shape, boolean perRow, boolean perCol, float[] data) {
        int at(int r, int c) {
            return (perRow ? r : 0) * (perCol ? C : 1) + (perCol ? c : 0);
        }
    }

    /** One element's loss and its derivative with respect to operand k, from the operands' values there. */
    interface Ref {
        double value(double[] v, int r, int c);

        double grad(int k, double[] v, int r, int c);
    }

    record Spec(String name, Function<Reduction, Loss> loss, List<Reduction> reductions, Operand[] ops, int[] diff,
                Ref ref) {
        @Override
        public String toString() {
            return name;
        }
    }

    // ---- random operands -------------------------------------------------------------------------------

    interface Draw {
        float next(SplittableRandom rnd);
    }

    private static Operand op(long seed, long[] shape, boolean perRow, boolean perCol, Draw draw) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] d = new float[(perRow ? R : 1) * (perCol ? C : 1)];
        for (int i = 0; i < d.length; i++) {
            d[i] = draw.next(rnd);
        }
        return new Operand(shape, perRow, perCol, d);
    }

    private static Operand full(long seed, Draw draw) {
        return op(seed, new long[] {R, C}, true, true, draw);
    }

    private static Draw uniform(double lo, double hi) {
        return rnd -> (float) (lo + (hi - lo) * rnd.nextDouble());
    }

    private static Draw signs() {
        return rnd -> rnd.nextBoolean() ? 1f : -1f;
    }

    /** Operand b equal to operand a at every 97th element (ties: the kinks of |x - y|). */
    private static Operand withTies(Operand b, Operand a) {
        float[] d = b.data().clone();
        for (int i = 0; i < d.length; i += 97) {
            d[i] = a.data()[i];
        }
        return new Operand(b.shape(), b.perRow(), b.perCol(), d);
    }

    private static double sign(double x) {
        return x > 0 ? 1 : x < 0 ? -1 : 0;
    }

    private static double clamp(double x, double lo, double hi) {
        return Math.max(lo, Math.min(hi, x));
    }

    private static double logSigmoid(double x) {
        return -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static Stream<Spec> specs() {
        List<Spec> s = new ArrayList<>();

        Operand x = full(1, uniform(-2, 2));
        Operand y = withTies(full(2, uniform(-2, 2)), x);
        s.add(new Spec("L1", r -> L1Loss.builder().reduction(r).build(), NMS, new Operand[] {x, y}, new int[] {0},
                new Ref() {
                    public double value(double[] v, int r, int c) {
                        return Math.abs(v[0] - v[1]);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return sign(v[0] - v[1]);
                    }
                }));

        // input [R, 1]: its gradient sums over the columns
        s.add(new Spec("L1 input broadcast [R,1]", r -> L1Loss.builder().reduction(r).build(), NMS,
                new Operand[] {op(3, new long[] {R, 1}, true, false, uniform(-1, 1)), y}, new int[] {0},
                s.get(0).ref()));

        double beta = 0.7;
        s.add(new Spec("SmoothL1 beta 0.7, target [C]", r -> SmoothL1Loss.builder().beta(beta).reduction(r).build(),
                NMS, new Operand[] {x, op(4, new long[] {C}, false, true, uniform(-2, 2))}, new int[] {0},
                new Ref() {
                    public double value(double[] v, int r, int c) {
                        double d = Math.abs(v[0] - v[1]);
                        return d < beta ? 0.5 * d * d / beta : d - 0.5 * beta;
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return clamp((v[0] - v[1]) / beta, -1, 1);
                    }
                }));

        double delta = 1.3;
        s.add(new Spec("Huber delta 1.3, input [1,C]", r -> HuberLoss.builder().delta(delta).reduction(r).build(), NMS,
                new Operand[] {op(5, new long[] {1, C}, false, true, uniform(-3, 3)), full(6, uniform(-3, 3))},
                new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        double d = Math.abs(v[0] - v[1]);
                        return d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return clamp(v[0] - v[1], -delta, delta);
                    }
                }));

        // probabilities with some exact 0s and 1s
        Operand p = full(7, rnd -> {
            double u = rnd.nextDouble();
            return u < 0.01 ? 0f : u > 0.99 ? 1f : (float) rnd.nextDouble();
        });
        float[] bceWeight = op(8, new long[] {C}, false, true, uniform(0, 2)).data();
        s.add(new Spec("BCE weight [C]", r -> BCELoss.builder().weight(bceWeight).reduction(r).build(), NMS,
                new Operand[] {p, full(9, uniform(0, 1))}, new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        double logX = Math.max(Math.log(v[0]), -100);
                        double log1mX = Math.max(Math.log(1 - v[0]), -100);
                        return -bceWeight[c] * (v[1] * logX + (1 - v[1]) * log1mX);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return bceWeight[c] * (v[0] - v[1]) / Math.max(v[0] * (1 - v[0]), (double) 1e-12f);
                    }
                }));

        // logits, some in the thousands
        Operand logits = full(10, rnd -> {
            double u = rnd.nextDouble();
            return u < 0.02 ? (float) ((rnd.nextBoolean() ? 1 : -1) * (1000 + 4000 * rnd.nextDouble()))
                    : (float) (4 * rnd.nextGaussian());
        });
        float[] rowWeight = op(11, new long[] {R, 1}, true, false, uniform(0, 2)).data();
        float[] posWeight = op(12, new long[] {C}, false, true, uniform(0, 3)).data();
        s.add(new Spec("BCEWithLogits weight [R,1], pos_weight [C]",
                r -> BCEWithLogitsLoss.builder().weight(new HostArray(rowWeight, new long[] {R, 1}))
                        .posWeight(posWeight).reduction(r).build(), NMS,
                new Operand[] {logits, full(13, uniform(0, 1))}, new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        double pw = posWeight[c];
                        return -rowWeight[r] * (pw * v[1] * logSigmoid(v[0]) + (1 - v[1]) * logSigmoid(-v[0]));
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        double pw = posWeight[c];
                        double sg = sigmoid(v[0]);
                        return rowWeight[r] * ((1 - v[1]) * sg - pw * v[1] * (1 - sg));
                    }
                }));

        List<Reduction> klReductions = List.of(Reduction.NONE, Reduction.MEAN, Reduction.SUM, Reduction.BATCHMEAN);
        Operand logProbs = full(14, uniform(-5, 0));
        s.add(new Spec("KLDiv, zero targets", r -> KLDivLoss.builder().reduction(r).build(), klReductions,
                new Operand[] {logProbs, full(15, rnd -> rnd.nextDouble() < 0.1 ? 0f : (float) rnd.nextDouble())},
                new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        return v[1] == 0 ? 0 : v[1] * (Math.log(v[1]) - v[0]);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return -v[1];
                    }
                }));
        s.add(new Spec("KLDiv log_target", r -> KLDivLoss.builder().logTarget(true).reduction(r).build(), klReductions,
                new Operand[] {logProbs, full(16, uniform(-6, 0))}, new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        return Math.exp(v[1]) * (v[1] - v[0]);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return -Math.exp(v[1]);
                    }
                }));

        Draw counts = rnd -> rnd.nextDouble() < 0.2 ? (float) (4 * rnd.nextDouble()) : rnd.nextInt(9);
        s.add(new Spec("PoissonNLL log_input, full", r -> PoissonNLLLoss.builder().full(true).reduction(r).build(), NMS,
                new Operand[] {full(17, uniform(-2, 2)), full(18, counts)}, new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        double t = v[1];
                        double stirling = t > 1 ? t * Math.log(t) - t + 0.5 * Math.log(2 * Math.PI * t) : 0;
                        return Math.exp(v[0]) - t * v[0] + stirling;
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return Math.exp(v[0]) - v[1];
                    }
                }));
        double eps = 1e-8;
        s.add(new Spec("PoissonNLL rate, target [C]", r -> PoissonNLLLoss.builder().logInput(false).reduction(r).build(),
                NMS, new Operand[] {full(19, uniform(0.01, 4)), op(20, new long[] {C}, false, true, counts)},
                new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        return v[0] - v[1] * Math.log(v[0] + eps);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return 1 - v[1] / (v[0] + eps);
                    }
                }));

        Ref gaussian = new Ref() {
            public double value(double[] v, int r, int c) {
                double var = Math.max(v[2], 1e-6);
                double d = v[0] - v[1];
                return 0.5 * (Math.log(var) + d * d / var) + 0.5 * LOG_2PI;
            }

            public double grad(int k, double[] v, int r, int c) {
                double var = Math.max(v[2], 1e-6);
                double d = v[0] - v[1];
                return k == 0 ? d / var : 0.5 / var - 0.5 * d * d / (var * var);
            }
        };
        // var [R]: one variance per row (unsqueezed), its gradient sums over the columns
        s.add(new Spec("GaussianNLL full, var [R]", r -> GaussianNLLLoss.builder().full(true).reduction(r).build(), NMS,
                new Operand[] {full(21, uniform(-2, 2)), full(22, uniform(-2, 2)),
                        op(23, new long[] {R}, true, false, uniform(0.05, 3))}, new int[] {0, 2}, gaussian));
        // per-element variances, some at or below eps (clamped)
        s.add(new Spec("GaussianNLL full, var [R,C] with tiny values",
                r -> GaussianNLLLoss.builder().full(true).reduction(r).build(), NMS,
                new Operand[] {full(24, uniform(-2, 2)), full(25, uniform(-2, 2)), full(26, rnd -> {
                    double u = rnd.nextDouble();
                    return u < 0.03 ? 0f : u < 0.06 ? 1e-8f : (float) (0.05 + 3 * rnd.nextDouble());
                })}, new int[] {0, 2}, gaussian));

        s.add(new Spec("SoftMargin, target [C]", r -> SoftMarginLoss.builder().reduction(r).build(), NMS,
                new Operand[] {full(27, rnd -> (float) (3 * rnd.nextGaussian())), op(28, new long[] {C}, false, true,
                        signs())}, new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        return Math.log(1 + Math.exp(-v[1] * v[0]));
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return -v[1] / (1 + Math.exp(v[1] * v[0]));
                    }
                }));

        double margin = 0.2;
        s.add(new Spec("MarginRanking margin 0.2, input2 [1,C]",
                r -> MarginRankingLoss.builder().margin(margin).reduction(r).build(), NMS,
                new Operand[] {full(29, uniform(-2, 2)), op(30, new long[] {1, C}, false, true, uniform(-2, 2)),
                        full(31, signs())}, new int[] {0, 1}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        return Math.max(0, -v[2] * (v[0] - v[1]) + margin);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        boolean active = -v[2] * (v[0] - v[1]) + margin >= 0;
                        return !active ? 0 : k == 0 ? -v[2] : v[2];
                    }
                }));

        s.add(new Spec("HingeEmbedding margin 1, target [R,1]", r -> HingeEmbeddingLoss.builder().reduction(r).build(),
                NMS, new Operand[] {full(32, uniform(0, 2)), op(33, new long[] {R, 1}, true, false, signs())},
                new int[] {0}, new Ref() {
                    public double value(double[] v, int r, int c) {
                        return v[1] == 1 ? v[0] : Math.max(0, 1 - v[0]);
                    }

                    public double grad(int k, double[] v, int r, int c) {
                        return v[1] == 1 ? 1 : 1 - v[0] >= 0 ? -1 : 0;
                    }
                }));
        return s.stream();
    }

    // ---- the reference comparison ----------------------------------------------------------------------

    private static Tensor[] tensors(Backend b, Operand[] ops) {
        Tensor[] t = new Tensor[ops.length];
        for (int i = 0; i < ops.length; i++) {
            t[i] = b.tensor(ops[i].data(), ops[i].shape());
        }
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void matchesDoubleReferenceOnALargeInput(Spec spec) {
        Operand[] ops = spec.ops();
        float[] goNone = op(99, new long[] {R, C}, true, true, uniform(-1.5, 1.5)).data();
        float goScalar = 0.75f;
        for (Backend b : TestBackends.all()) {
            for (Reduction red : spec.reductions()) {
                Loss loss = spec.loss().apply(red);
                boolean none = red == Reduction.NONE;
                double divisor = switch (red) {
                    case NONE, SUM -> 1;
                    case MEAN -> (double) R * C;
                    case BATCHMEAN -> R;
                };
                double[] out = new double[R * C];
                double sum = 0;
                double[][] grads = new double[spec.diff().length][];
                for (int k = 0; k < grads.length; k++) {
                    grads[k] = new double[ops[spec.diff()[k]].data().length];
                }
                double[] v = new double[ops.length];
                for (int r = 0; r < R; r++) {
                    for (int c = 0; c < C; c++) {
                        for (int k = 0; k < ops.length; k++) {
                            v[k] = ops[k].data()[ops[k].at(r, c)];
                        }
                        double val = spec.ref().value(v, r, c);
                        out[r * C + c] = val;
                        sum += val;
                        double gu = none ? goNone[r * C + c] : goScalar / divisor;
                        for (int k = 0; k < grads.length; k++) {
                            int opIndex = spec.diff()[k];
                            grads[k][ops[opIndex].at(r, c)] += gu * spec.ref().grad(opIndex, v, r, c);
                        }
                    }
                }
                String what = spec.name() + " [" + red + ", " + b.name() + "]";
                Tensor go = none ? b.tensor(goNone, R, C) : b.tensor(new float[] {goScalar});
                try (LossResult res = loss.forwardBackwardWith(go, tensors(b, ops))) {
                    if (none) {
                        assertAllClose(what + " loss", new long[] {R, C}, out, res.loss().shape(),
                                res.loss().toFloatArray());
                    } else {
                        assertAllClose(what + " loss", new long[0], new double[] {sum / divisor}, res.loss().shape(),
                                res.loss().toFloatArray());
                    }
                    for (int k = 0; k < grads.length; k++) {
                        String name = loss.differentiableArguments().get(k);
                        Tensor g = res.grad(name);
                        assertAllClose(what + " d/d" + name, ops[spec.diff()[k]].shape(), grads[k], g.shape(),
                                g.toFloatArray());
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void sameCallTwiceIsBitwiseEqual(Spec spec) {
        for (Backend b : TestBackends.all()) {
            for (Reduction red : List.of(Reduction.MEAN, Reduction.NONE)) {
                Loss loss = spec.loss().apply(red);
                Tensor[] in = tensors(b, spec.ops());
                try (LossResult first = loss.forwardBackward(in);
                     LossResult second = loss.forwardBackward(in);
                     Tensor forwardOnly = loss.forward(in)) {
                    float[] l1 = first.loss().toFloatArray();
                    assertArrayEquals(l1, second.loss().toFloatArray(), spec + " " + red + ": loss differs");
                    assertArrayEquals(l1, forwardOnly.toFloatArray(), spec + " " + red + ": forward differs from fused");
                    for (Map.Entry<String, Tensor> e : first.gradients().entrySet()) {
                        assertArrayEquals(e.getValue().toFloatArray(), second.grad(e.getKey()).toFloatArray(),
                                spec + " " + red + ": d/d" + e.getKey() + " differs");
                    }
                }
            }
        }
    }

    // ---- small hand-checked cases ----------------------------------------------------------------------

    /** The seed article's L1Loss example: |3-2| + |0-0| + |3-3| + |3-2| + |0-0| + |3-0| = 5 over 6. */
    @Test
    void seedArticleL1Example() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {3, 0, 3, 3, 0, 3}, 2, 3);
            Tensor y = b.tensor(new float[] {2, 0, 3, 2, 0, 0}, 2, 3);
            assertEquals(5f / 6f, L1Loss.builder().build().forward(x, y).item(), 1e-6);
            assertEquals(0.8333f, L1Loss.builder().build().forward(x, y).item(), 1e-4);
            assertEquals(5f, L1Loss.builder().reduction(Reduction.SUM).build().forward(x, y).item(), 0);
            Tensor none = L1Loss.builder().reduction(Reduction.NONE).build().forward(x, y);
            assertArrayEquals(new long[] {2, 3}, none.shape());
            assertArrayEquals(new float[] {1, 0, 0, 1, 0, 3}, none.toFloatArray());
            // the same through the registry with the article's legacy spelling
            Loss viaName = Losses.create("L1Loss", Map.of("size_average", true));
            assertEquals(5f / 6f, viaName.forward(x, y).item(), 1e-6);
        }
    }

    /** The seed article's MarginRankingLoss example (margin 0; its target 0 gives max(0, 0) = 0). */
    @Test
    void seedArticleMarginRankingExample() {
        for (Backend b : TestBackends.all()) {
            Tensor out = MarginRankingLoss.builder().reduction(Reduction.NONE).build().forward(
                    b.tensor(new float[] {0.2112f, -0.0281f, 0.5583f}, 3),
                    b.tensor(new float[] {1.8994f, -0.6425f, 0.9355f}, 3), b.tensor(new float[] {1, 0, 1}, 3));
            assertArrayEquals(new float[] {1.6882f, 0, 0.3772f}, out.toFloatArray(), 1e-4f);
        }
    }

    /** A broadcast operand's gradient is the sum over the dimensions it was broadcast along. */
    @Test
    void broadcastGradientsAreSummed() {
        for (Backend b : TestBackends.all()) {
            // L1: input [2, 1] against target [2, 3]; sum reduction
            Tensor x = b.tensor(new float[] {0, 10}, 2, 1);
            Tensor y = b.tensor(new float[] {-1, 0, 1, 9, 11, 12}, 2, 3);
            try (LossResult r = L1Loss.builder().reduction(Reduction.SUM).build().forwardBackward(x, y)) {
                assertEquals(1 + 0 + 1 + 1 + 1 + 2, r.loss().item(), 0);
                // row 0: sign(1) + sign(0) + sign(-1) = 0; row 1: sign(1) + sign(-1) + sign(-2) = -1
                assertArrayEquals(new float[] {0, -1}, r.grad("input").toFloatArray());
                assertArrayEquals(new long[] {2, 1}, r.grad("input").shape());
            }
            // MarginRanking: input2 [1, 2] against input1 [3, 2]; mean over 6, margin 0, target 1
            Tensor x1 = b.tensor(new float[] {0, 0, 0, 0, 5, 5}, 3, 2);
            Tensor x2 = b.tensor(new float[] {1, 2}, 1, 2);
            Tensor t = b.tensor(new float[] {1, 1, 1, 1, 1, 1}, 3, 2);
            try (LossResult r = MarginRankingLoss.builder().build().forwardBackward(x1, x2, t)) {
                assertEquals((1 + 2 + 1 + 2) / 6f, r.loss().item(), 1e-6);
                assertArrayEquals(new float[] {-1 / 6f, -1 / 6f, -1 / 6f, -1 / 6f, 0, 0},
                        r.grad("input1").toFloatArray(), 1e-7f);
                assertArrayEquals(new float[] {2 / 6f, 2 / 6f}, r.grad("input2").toFloatArray(), 1e-7f);
            }
        }
    }

    @Test
    void emptyInputMeanIsNaNAndSumIsZero() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[0], 0, 3);
            Tensor y = b.tensor(new float[0], 0, 3);
            assertTrue(Float.isNaN(L1Loss.builder().build().forward(x, y).item()));
            assertEquals(0f, HuberLoss.builder().reduction(Reduction.SUM).build().forward(x, y).item());
            assertArrayEquals(new long[] {0, 3}, SoftMarginLoss.builder().reduction(Reduction.NONE).build()
                    .forward(x, y).shape());
        }
    }

    // ---- bad-input messages ----------------------------------------------------------------------------

    private static Backend cpu() {
        return TestBackends.cpu();
    }

    private static void assertMessage(Runnable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void shapesThatDoNotBroadcastAreNamed() {
        Tensor x = cpu().tensor(new float[3], 3);
        Tensor y = cpu().tensor(new float[4], 4);
        assertMessage(() -> L1Loss.builder().build().forward(x, y),
                "l1_loss: ", "input with shape [3]", "target with shape [4]", "cannot be broadcast");
        assertMessage(() -> PoissonNLLLoss.builder().build().forward(x, y),
                "poisson_nll_loss: ", "log_input with shape [3]", "target with shape [4]");
        assertMessage(() -> HingeEmbeddingLoss.builder().build().forward(x, y),
                "hinge_embedding_loss: ", "input with shape [3]", "target with shape [4]");
    }

    @Test
    void integerTargetIsRejectedNamingItsDtype() {
        Tensor x = cpu().tensor(new float[3], 3);
        Tensor y = cpu().tensor(new long[] {1, -1, 1}, 3);
        assertMessage(() -> HingeEmbeddingLoss.builder().build().forward(x, y),
                "hinge_embedding_loss: ", "target has dtype int64", "expected float32");
    }

    @Test
    void wrongNumberOfTensorsNamesTheArguments() {
        Tensor x = cpu().tensor(new float[3], 3);
        assertMessage(() -> MarginRankingLoss.builder().build().forward(x, x),
                "margin_ranking_loss: ", "expected 3 tensors (input1, input2, target)", "got 2");
    }

    @Test
    void smoothL1RejectsNegativeBeta() {
        assertMessage(() -> SmoothL1Loss.builder().beta(-0.5).build(), "smooth_l1_loss: ", "beta is -0.5", ">= 0");
        assertMessage(() -> SmoothL1Loss.builder().beta(Double.NaN).build(), "smooth_l1_loss: ", "beta is NaN");
        assertEquals(0.0, SmoothL1Loss.builder().beta(0).build().beta());
    }

    @Test
    void huberRejectsNonPositiveDeltaAndLegacyFlags() {
        assertMessage(() -> HuberLoss.builder().delta(0).build(), "huber_loss: ", "delta is 0.0", "> 0");
        assertMessage(() -> HuberLoss.builder().delta(-2).build(), "huber_loss: ", "delta is -2.0");
        assertMessage(() -> Losses.create("HuberLoss", Map.of("size_average", true)),
                "huber_loss: ", "unknown option 'size_average'");
        assertMessage(() -> Losses.create("huber_loss", Map.of("reduce", false)), "huber_loss: ", "'reduce'");
        assertMessage(() -> HuberLoss.builder().sizeAverage(true), "huber_loss: ", "unknown option 'size_average'");
        assertMessage(() -> GaussianNLLLoss.builder().reduce(false), "gaussian_nll_loss: ", "unknown option 'reduce'");
    }

    @Test
    void batchmeanIsOnlyForKLDiv() {
        assertMessage(() -> L1Loss.builder().reduction(Reduction.BATCHMEAN).build(),
                "l1_loss: ", "'batchmean'", "only valid for kl_div");
        assertMessage(() -> Losses.create("PoissonNLLLoss", Map.of("reduction", "batchmean")),
                "poisson_nll_loss: ", "'batchmean'");
        assertMessage(() -> Losses.create("MarginRankingLoss", Map.of("reduction", "avg")),
                "margin_ranking_loss: ", "'avg'");
    }

    @Test
    void softMarginTargetMustFitTheInputsShape() {
        Tensor x = cpu().tensor(new float[3], 3);
        Tensor y = cpu().tensor(new float[6], 2, 3);
        assertMessage(() -> SoftMarginLoss.builder().build().forward(x, y),
                "soft_margin_loss: ", "target with shape [2, 3]", "input's shape [3]");
        // the other way round is fine: the target broadcasts to the input
        assertEquals(Math.log(2), SoftMarginLoss.builder().build().forward(y, x).item(), 1e-6);
    }

    @Test
    void marginRankingDemandsEqualDimensionCounts() {
        Tensor a = cpu().tensor(new float[3], 3);
        Tensor t = cpu().tensor(new float[] {1, 1, 1}, 1, 3);
        assertMessage(() -> MarginRankingLoss.builder().build().forward(a, a, t),
                "margin_ranking_loss: ", "target has 2 dimensions (shape [1, 3])", "expected 1 as input1 (shape [3])");
        Tensor a2 = cpu().tensor(new float[6], 2, 3);
        assertMessage(() -> MarginRankingLoss.builder().build().forward(a2, a, a2),
                "margin_ranking_loss: ", "input2 has 1 dimensions (shape [3])", "expected 2");
    }

    @Test
    void unknownOptionsAreNamed() {
        assertMessage(() -> Losses.create("SmoothL1Loss", Map.of("delta", 1.0)), "smooth_l1_loss: ", "'delta'");
        assertMessage(() -> Losses.create("HingeEmbeddingLoss", Map.of("margin", "wide")),
                "hinge_embedding_loss: ", "margin", "'wide'");
    }

    @Test
    void optionsReachTheLoss() {
        assertEquals(0.25, ((SmoothL1Loss) Losses.create("smooth_l1_loss", Map.of("beta", 0.25))).beta());
        assertEquals(2.5, ((HuberLoss) Losses.create("HuberLoss", Map.of("delta", "2.5"))).delta());
        assertEquals(-0.5, ((MarginRankingLoss) Losses.create("MarginRankingLoss", Map.of("margin", -0.5))).margin());
        assertEquals(1.0, ((HingeEmbeddingLoss) Losses.create("HingeEmbeddingLoss", Map.of())).margin());
        PoissonNLLLoss p = (PoissonNLLLoss) Losses.create("PoissonNLLLoss",
                Map.of("log_input", false, "full", true, "eps", 0.5, "reduction", "sum"));
        assertEquals(List.of(false, true, 0.5, Reduction.SUM), List.of(p.logInput(), p.full(), p.eps(), p.reduction()));
        assertEquals(List.of("log_input", "target"), p.argumentNames());
        assertEquals(List.of("log_input"), p.differentiableArguments());
        assertEquals(Arrays.asList("input1", "input2"), MarginRankingLoss.builder().build().differentiableArguments());
    }
}
