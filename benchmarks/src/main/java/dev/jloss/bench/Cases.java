package dev.jloss.bench;

import dev.jloss.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The benchmark cases: one per loss (by PyTorch's functional name) at two sizes, {@code quick}
 * (fits a 2-core machine: every array far larger than its last-level cache, the whole suite in
 * minutes) and {@code full} (the issue's sizes). Every case uses the loss's default options except
 * kl_div, which uses {@code batchmean} (the reduction that is the true KL divergence); the same
 * options are baked into the TorchScript modules of the PyTorch peer
 * ({@code src/main/python/make_torchscript.py}).
 *
 * <p>Inputs are generated from a fixed seed, so every fork and every implementation sees the same
 * numbers, and they lie where each loss is well-defined (probabilities in (0, 1) for BCE, log-
 * probabilities for NLL/KL/CTC, ±1 targets for the margin losses).
 */
public final class Cases {
    /** The loss families of the issue, for grouping on the page. */
    public enum Group { ELEMENTWISE, ROWWISE, PAIRWISE, SEQUENCE }

    /** One argument: its PyTorch name, type, shape and how its values are drawn. */
    public record Arg(String name, DType dtype, long[] shape, Gen gen) {
        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Draws an argument's values; {@code floats} or {@code longs} is filled. */
    @FunctionalInterface
    interface Gen {
        void fill(SplittableRandom r, long[] shape, float[] floats, long[] longs);
    }

    /**
     * One benchmark case. {@code pickedRows}, when positive, says the loss reads one element of its
     * first argument per row (nll_loss) rather than all of it: see {@link #minimumBytes}.
     */
    public record Case(String loss, Group group, String size, String shapeText, Map<String, Object> options,
                       List<Arg> args, long pickedRows) {
        /** The id used as the JMH parameter: {@code loss@size}. */
        public String id() {
            return loss + "@" + size;
        }

        /** Elements of the first argument: the unit of the throughput column. */
        public long elements() {
            return args.get(0).numel();
        }

        /**
         * The fewest bytes {@code op} must move between memory and the cores: every argument read
         * once (for nll_loss only the picked element of each row, and for its gradient not even
         * that: only the targets), the reduced loss written, and for a gradient the upstream
         * gradient read and each gradient written once. Scratch space, zero-filling and re-reads are
         * not counted: they are what an implementation adds on top of the minimum.
         */
        public long minimumBytes(String op, List<String> differentiable) {
            boolean grad = !op.equals("FORWARD");
            boolean loss = !op.equals("BACKWARD");
            long b = 0;
            for (int i = 0; i < args.size(); i++) {
                Arg a = args.get(i);
                long bytes = a.numel() * a.dtype().bytes();
                if (i == 0 && pickedRows > 0) {
                    bytes = loss ? pickedRows * a.dtype().bytes() : 0;
                }
                b += bytes;
            }
            if (loss) {
                b += 4;
            }
            if (grad) {
                b += 4;
                for (Arg a : args) {
                    if (differentiable.contains(a.name())) {
                        b += a.numel() * 4;
                    }
                }
            }
            return b;
        }
    }

    private Cases() {
    }

    public static final String QUICK = "quick";
    public static final String FULL = "full";

    /** Every case of a size, in the issue's order (element-wise, row-wise, pairwise, sequence). */
    public static List<Case> all(String size) {
        boolean full = FULL.equals(size);
        List<Case> cs = new ArrayList<>();
        // element-wise: 2^24 floats (64 MiB per array) quick, 10^8 full
        long n = full ? 100_000_000L : 1L << 24;
        cs.add(pointwise("l1_loss", size, n, normal(1), normal(1)));
        cs.add(pointwise("mse_loss", size, n, normal(1), normal(1)));
        cs.add(pointwise("smooth_l1_loss", size, n, normal(1), normal(1)));
        cs.add(pointwise("huber_loss", size, n, normal(1), normal(1)));
        cs.add(pointwise("binary_cross_entropy", size, n, uniform(0.01, 0.99), uniform(0, 1)));
        cs.add(pointwise("binary_cross_entropy_with_logits", size, n, normal(2), uniform(0, 1)));
        long klCols = 1000;
        cs.add(new Case("kl_div", Group.ELEMENTWISE, size, (n / klCols) + "×" + klCols,
                Map.of("reduction", "batchmean"),
                List.of(new Arg("input", DType.FLOAT32, new long[] {n / klCols, klCols}, logSoftmaxRows()),
                        new Arg("target", DType.FLOAT32, new long[] {n / klCols, klCols}, softmaxRows())), 0));
        cs.add(new Case("poisson_nll_loss", Group.ELEMENTWISE, size, fmt(n), Map.of(),
                List.of(new Arg("log_input", DType.FLOAT32, new long[] {n}, normal(0.5)),
                        new Arg("target", DType.FLOAT32, new long[] {n}, counts())), 0));
        cs.add(new Case("gaussian_nll_loss", Group.ELEMENTWISE, size, fmt(n), Map.of(),
                List.of(new Arg("input", DType.FLOAT32, new long[] {n}, normal(1)),
                        new Arg("target", DType.FLOAT32, new long[] {n}, normal(1)),
                        new Arg("var", DType.FLOAT32, new long[] {n}, uniform(0.1, 2))), 0));
        cs.add(pointwise("soft_margin_loss", size, n, normal(1), signs()));
        cs.add(new Case("margin_ranking_loss", Group.ELEMENTWISE, size, fmt(n), Map.of(),
                List.of(new Arg("input1", DType.FLOAT32, new long[] {n}, normal(1)),
                        new Arg("input2", DType.FLOAT32, new long[] {n}, normal(1)),
                        new Arg("target", DType.FLOAT32, new long[] {n}, signs())), 0));
        cs.add(pointwise("hinge_embedding_loss", size, n, normal(1), signs()));

        // row-wise: cross-entropy at (512, 32000) quick; the issue's (4096, 32000) and (512, 128000) full
        long[][] ce = full ? new long[][] {{4096, 32000}, {512, 128000}} : new long[][] {{512, 32000}};
        for (long[] nc : ce) {
            String sz = full ? size + "-C" + nc[1] : size;
            cs.add(new Case("cross_entropy", Group.ROWWISE, sz, nc[0] + "×" + nc[1], Map.of(),
                    List.of(new Arg("input", DType.FLOAT32, nc, normal(2)),
                            new Arg("target", DType.INT64, new long[] {nc[0]}, classes(nc[1]))), 0));
            cs.add(new Case("nll_loss", Group.ROWWISE, sz, nc[0] + "×" + nc[1], Map.of(),
                    List.of(new Arg("input", DType.FLOAT32, nc, logSoftmaxRows()),
                            new Arg("target", DType.INT64, new long[] {nc[0]}, classes(nc[1]))), nc[0]));
        }
        long[] mm = full ? new long[] {65536, 1000} : new long[] {16384, 1000};
        cs.add(new Case("multi_margin_loss", Group.ROWWISE, size, mm[0] + "×" + mm[1], Map.of(),
                List.of(new Arg("input", DType.FLOAT32, mm, normal(1)),
                        new Arg("target", DType.INT64, new long[] {mm[0]}, classes(mm[1]))), 0));
        long[] ml = full ? new long[] {32768, 1000} : new long[] {8192, 1000};
        cs.add(new Case("multilabel_margin_loss", Group.ROWWISE, size, ml[0] + "×" + ml[1] + ", 8 labels/row",
                Map.of(),
                List.of(new Arg("input", DType.FLOAT32, ml, normal(1)),
                        new Arg("target", DType.INT64, ml, labelLists(8))), 0));
        cs.add(new Case("multilabel_soft_margin_loss", Group.ROWWISE, size, mm[0] + "×" + mm[1], Map.of(),
                List.of(new Arg("input", DType.FLOAT32, mm, normal(1)),
                        new Arg("target", DType.FLOAT32, mm, bits())), 0));

        // pairwise: the issue's triplet size (65536, 128) at both sizes (25M floats over three tensors)
        long[] nd = {65536, 128};
        cs.add(new Case("cosine_embedding_loss", Group.PAIRWISE, size, nd[0] + "×" + nd[1], Map.of(),
                List.of(new Arg("input1", DType.FLOAT32, nd, normal(1)),
                        new Arg("input2", DType.FLOAT32, nd, normal(1)),
                        new Arg("target", DType.FLOAT32, new long[] {nd[0]}, signs())), 0));
        for (String t : List.of("triplet_margin_loss", "triplet_margin_with_distance_loss")) {
            cs.add(new Case(t, Group.PAIRWISE, size, nd[0] + "×" + nd[1], Map.of(),
                    List.of(new Arg("anchor", DType.FLOAT32, nd, normal(1)),
                            new Arg("positive", DType.FLOAT32, nd, normal(1)),
                            new Arg("negative", DType.FLOAT32, nd, normal(1))), 0));
        }

        // sequence: CTC at the issue's (T=200, N=32, C=60, S=50); full doubles the batch
        long t = 200, b = full ? 128 : 32, c = 60, s = 50;
        cs.add(new Case("ctc_loss", Group.SEQUENCE, size, "T=" + t + " N=" + b + " C=" + c + " S=" + s, Map.of(),
                List.of(new Arg("log_probs", DType.FLOAT32, new long[] {t, b, c}, logSoftmaxRows()),
                        new Arg("targets", DType.INT64, new long[] {b, s}, labelsFrom1(c)),
                        new Arg("input_lengths", DType.INT64, new long[] {b}, constant(t)),
                        new Arg("target_lengths", DType.INT64, new long[] {b}, lengths(s - 10, s))), 0));
        return cs;
    }

    /** The case with this id ({@code loss@size}). */
    public static Case byId(String id) {
        String size = id.substring(id.indexOf('@') + 1);
        String base = size.startsWith(FULL) ? FULL : QUICK;
        for (Case c : all(base)) {
            if (c.id().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no benchmark case '" + id + "'");
    }

    private static Case pointwise(String loss, String size, long n, Gen input, Gen target) {
        return new Case(loss, Group.ELEMENTWISE, size, fmt(n), Map.of(),
                List.of(new Arg("input", DType.FLOAT32, new long[] {n}, input),
                        new Arg("target", DType.FLOAT32, new long[] {n}, target)), 0);
    }

    static String fmt(long n) {
        if (n % 1_000_000 == 0) {
            return n / 1_000_000 + "M";
        }
        int log = 63 - Long.numberOfLeadingZeros(n);
        if (n == 1L << log) {
            return "2^" + log;
        }
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Options as a mutable map for Losses.create. */
    static Map<String, Object> options(Case c) {
        return new LinkedHashMap<>(c.options());
    }

    // ---- value generators ------------------------------------------------------------------------

    private static Gen normal(double scale) {
        return (r, shape, f, l) -> {
            for (int i = 0; i < f.length; i += 2) {
                // Box-Muller: two normals per pair of uniforms
                double u1 = 1.0 - r.nextDouble();
                double u2 = r.nextDouble();
                double m = Math.sqrt(-2.0 * Math.log(u1)) * scale;
                f[i] = (float) (m * Math.cos(2 * Math.PI * u2));
                if (i + 1 < f.length) {
                    f[i + 1] = (float) (m * Math.sin(2 * Math.PI * u2));
                }
            }
        };
    }

    private static Gen uniform(double lo, double hi) {
        return (r, shape, f, l) -> {
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) (lo + (hi - lo) * r.nextDouble());
            }
        };
    }

    private static Gen signs() {
        return (r, shape, f, l) -> {
            for (int i = 0; i < f.length; i++) {
                f[i] = r.nextBoolean() ? 1f : -1f;
            }
        };
    }

    private static Gen bits() {
        return (r, shape, f, l) -> {
            for (int i = 0; i < f.length; i++) {
                f[i] = r.nextBoolean() ? 1f : 0f;
            }
        };
    }

    private static Gen counts() {
        return (r, shape, f, l) -> {
            for (int i = 0; i < f.length; i++) {
                f[i] = r.nextInt(6);
            }
        };
    }

    private static Gen classes(long c) {
        return (r, shape, f, l) -> {
            for (int i = 0; i < l.length; i++) {
                l[i] = r.nextLong(c);
            }
        };
    }

    private static Gen labelsFrom1(long c) {
        return (r, shape, f, l) -> {
            for (int i = 0; i < l.length; i++) {
                l[i] = 1 + r.nextLong(c - 1);
            }
        };
    }

    private static Gen constant(long v) {
        return (r, shape, f, l) -> java.util.Arrays.fill(l, v);
    }

    private static Gen lengths(long lo, long hi) {
        return (r, shape, f, l) -> {
            for (int i = 0; i < l.length; i++) {
                l[i] = lo + r.nextLong(hi - lo + 1);
            }
        };
    }

    /** Rows of {@code k} distinct class indices, then -1 (multilabel_margin_loss's target layout). */
    private static Gen labelLists(int k) {
        return (r, shape, f, l) -> {
            int cols = (int) shape[shape.length - 1];
            java.util.Arrays.fill(l, -1);
            for (int row = 0; row < l.length / cols; row++) {
                int base = row * cols;
                int filled = 0;
                while (filled < k) {
                    long v = r.nextLong(cols);
                    boolean dup = false;
                    for (int j = 0; j < filled; j++) {
                        dup |= l[base + j] == v;
                    }
                    if (!dup) {
                        l[base + filled++] = v;
                    }
                }
            }
        };
    }

    /** Log-softmax over the last dimension of standard normals. */
    private static Gen logSoftmaxRows() {
        return (r, shape, f, l) -> {
            normal(2).fill(r, shape, f, l);
            int cols = (int) shape[shape.length - 1];
            for (int base = 0; base < f.length; base += cols) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, f[base + j]);
                }
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += Math.exp(f[base + j] - max);
                }
                double lse = max + Math.log(s);
                for (int j = 0; j < cols; j++) {
                    f[base + j] = (float) (f[base + j] - lse);
                }
            }
        };
    }

    private static Gen softmaxRows() {
        return (r, shape, f, l) -> {
            logSoftmaxRows().fill(r, shape, f, l);
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) Math.exp(f[i]);
            }
        };
    }
}
