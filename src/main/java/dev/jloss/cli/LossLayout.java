package dev.jloss.cli;

import dev.jloss.LossSpec;
import dev.jloss.loss.Checks;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How each loss's tensors split into chunks of the batch, derived from the loss's {@link LossSpec}, so that the command line can stream inputs
 * far larger than memory and still get PyTorch's value. Every loss here treats the samples of a batch
 * independently, so the loss of a chunk of samples is the chunk of the loss; only the reduction
 * couples them, and {@link Reducer} combines it across chunks.
 *
 * <ul>
 *   <li>{@link LossSpec.Batching#BROADCAST}: element-wise losses (and MultiLabelSoftMarginLoss, which also sums
 *       the last dimension). Operands broadcast NumPy-style (aligned on the right); the batch is
 *       dimension 0 of the broadcast shape. An operand without that dimension, or with size 1 there,
 *       is passed whole to every chunk. Tensor options (BCE's weight, pos_weight) follow the same rule.
 *   <li>{@link LossSpec.Batching#LEADING}: row-wise and pairwise losses, whose tensors share dimension 0 (the
 *       batch) when the first one is batched ({@code (N, C)} rather than {@code (C)}). Class weights
 *       are passed whole. Cosine and triplet losses broadcast a size-1 batch; the class losses do not.
 *   <li>{@link LossSpec.Batching#TIME_MAJOR}: {@code log_probs} is {@code (T, N, C)}, so its batch is dimension 1;
 *       padded {@code targets (N, S)} split on dimension 0, concatenated 1-D targets by the running
 *       sum of {@code target_lengths}.
 * </ul>
 * A loss whose first tensor is not batched is one chunk.
 */
final class LossLayout {

    /** How one argument is cut: passed whole, sliced along a dimension, or cut by lengths (CTC 1-D targets). */
    record Slice(Kind kind, int dim) {
        enum Kind { WHOLE, SLICE, RAGGED }

        static final Slice WHOLE = new Slice(Kind.WHOLE, -1);

        static Slice along(int dim) {
            return new Slice(Kind.SLICE, dim);
        }

        static final Slice RAGGED = new Slice(Kind.RAGGED, 0);
    }

    /** The chunking of one call: the batch size and how each argument and tensor option is cut. */
    record Plan(boolean batched, long batch, Map<String, Slice> args, Set<String> slicedOptions,
                long batchmeanDivisor, long classes) {
    }

    /** Tensor options that may carry a batch dimension (element-wise weights). */
    private static final Set<String> BATCHABLE_OPTIONS = Set.of("weight", "pos_weight");

    private final LossSpec spec;

    private LossLayout(LossSpec spec) {
        this.spec = spec;
    }

    /** The layout of a loss, from its declaration. */
    static LossLayout of(LossSpec spec) {
        return new LossLayout(spec);
    }

    LossSpec.Mean meanKind() {
        return spec.mean();
    }

    /**
     * Whether argument {@code arg} is read as int64 when its file holds integers (class indices and
     * lengths); other arguments are always float32 (an integer file given for them is converted).
     */
    boolean takesIndices(String arg) {
        return spec.arg(arg).role().integers();
    }

    /**
     * Plans the chunks for arguments of these shapes. Shapes that cannot go together along the batch
     * are rejected here, naming both arguments and their shapes; everything else is left to the loss.
     *
     * @param fn          the loss's functional name, for messages
     * @param names       the argument names in order
     * @param shapes      each argument's shape, in the same order
     * @param optionShape the shape of each tensor option given (weight, pos_weight), by name
     */
    Plan plan(String fn, List<String> names, List<long[]> shapes, Map<String, long[]> optionShape) {
        Map<String, Slice> args = new LinkedHashMap<>();
        long[] first = shapes.get(0);
        int batchedRank = spec.batchedRank();
        boolean broadcastsBatch = spec.broadcastsBatch();
        switch (spec.batching()) {
            case BROADCAST -> {
                long[][] aligned = shapes.toArray(new long[0][]);
                int var = spec.argWith(LossSpec.Role.VALUES_TRAILING_OPTIONAL).map(a -> names.indexOf(a.name())).orElse(-1);
                if (var > 0) {
                    // PyTorch unsqueezes it (GaussianNLL's var) when it is the input's shape without the last dimension.
                    long[] in = shapes.get(0);
                    long[] v = shapes.get(var);
                    if (in.length >= 1 && Arrays.equals(v, Arrays.copyOf(in, in.length - 1))) {
                        aligned[var] = Arrays.copyOf(v, v.length + 1);
                        aligned[var][v.length] = 1;
                    }
                }
                long[] out = aligned[0];
                String outName = names.get(0);
                for (int i = 1; i < aligned.length; i++) {
                    out = Checks.broadcast(fn, outName, out, names.get(i), aligned[i]);
                    outName = outName + " and " + names.get(i);
                }
                // A loss that sums the input's last dimension (MultiLabelSoftMarginLoss) is batched only
                // when the input itself has the batch dimension.
                if (out.length < batchedRank || (batchedRank > 1 && first.length < batchedRank)) {
                    return single(names, fn, first, optionShape);
                }
                long n = out[0];
                for (int i = 0; i < names.size(); i++) {
                    boolean batched = aligned[i].length == out.length && aligned[i][0] == n;
                    args.put(names.get(i), batched ? Slice.along(0) : Slice.WHOLE);
                }
                Set<String> sliced = new java.util.LinkedHashSet<>();
                for (Map.Entry<String, long[]> e : optionShape.entrySet()) {
                    long[] s = e.getValue();
                    if (BATCHABLE_OPTIONS.contains(e.getKey()) && s.length == out.length && n > 1 && s[0] == n) {
                        sliced.add(e.getKey());
                    }
                }
                return new Plan(true, n, args, sliced, batchmean(first), 0);
            }
            case LEADING -> {
                if (first.length < batchedRank) {
                    return single(names, fn, first, optionShape);
                }
                long n = first[0];
                if (broadcastsBatch) {
                    for (long[] s : shapes) {
                        if (s.length > 0 && s[0] != 1) {
                            n = s[0];
                        }
                    }
                }
                for (int i = 0; i < names.size(); i++) {
                    long[] s = shapes.get(i);
                    if (s.length > 0 && s[0] == n) {
                        args.put(names.get(i), Slice.along(0));
                    } else if ((broadcastsBatch && (s.length == 0 || s[0] == 1)) || n <= 1) {
                        // a broadcast operand; or a batch of one, where the loss judges the shapes itself
                        args.put(names.get(i), Slice.WHOLE);
                    } else {
                        throw mismatch(fn, names.get(0), first, names.get(i), s, "dimension 0 (the batch)");
                    }
                }
                return new Plan(true, n, args, Set.of(), batchmean(first), first[1]);
            }
            case TIME_MAJOR -> {
                if (first.length != batchedRank) {
                    return single(names, fn, first, optionShape);
                }
                long n = first[1];
                args.put(names.get(0), Slice.along(1));
                for (int i = 1; i < names.size(); i++) {
                    String name = names.get(i);
                    long[] s = shapes.get(i);
                    if (spec.arg(name).role() == LossSpec.Role.LABELS && s.length == 1) {
                        args.put(name, Slice.RAGGED);
                    } else if (s.length >= 1 && s[0] == n) {
                        args.put(name, Slice.along(0));
                    } else if (n <= 1) {
                        args.put(name, Slice.WHOLE);
                    } else {
                        throw mismatch(fn, names.get(0), first, name, s, "the batch (dimension 1 of " + names.get(0)
                                + ", dimension 0 of " + name + ")");
                    }
                }
                return new Plan(true, n, args, Set.of(), 1, first[2]);
            }
        }
        throw new IllegalStateException("internal error: batching " + spec.batching());
    }

    private Plan single(List<String> names, String fn, long[] first, Map<String, long[]> optionShape) {
        Map<String, Slice> args = new LinkedHashMap<>();
        for (String n : names) {
            args.put(n, Slice.WHOLE);
        }
        long classes = spec.batching() == LossSpec.Batching.LEADING && first.length == 1 ? first[0]
                : spec.batching() == LossSpec.Batching.TIME_MAJOR && first.length == 2 ? first[1] : 0;
        return new Plan(false, 1, args, Set.of(), batchmean(first), classes);
    }

    /** PyTorch's batchmean divides the sum by {@code input.size(0)} (1 for a 0-d input). */
    private static long batchmean(long[] input) {
        return input.length == 0 ? 1 : input[0];
    }

    private static CliException mismatch(String fn, String aName, long[] a, String bName, long[] b, String what) {
        return new CliException(fn + ": " + bName + " has shape " + Checks.str(b) + " and " + aName + " has shape "
                + Checks.str(a) + ": they must agree along " + what);
    }
}
