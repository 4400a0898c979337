package dev.jloss;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a loss is, declared once by its class ({@code public static final LossSpec SPEC}): PyTorch's names,
 * the tensors {@code forward()} takes in order (which are differentiable, which hold integers, which
 * play a part the command line must know), and how the batch streams: where the batch dimension is and
 * what the mean divides by. {@link Loss}'s names, the registry of {@code dev.jloss.loss.Losses} and the
 * command line's chunking and reduction are all derived from it.
 *
 * @param className      PyTorch's class name, {@code NLLLoss}
 * @param functionalName PyTorch's functional name, {@code nll_loss}; it prefixes every error message
 * @param args           the tensors of {@code forward()}, in order
 * @param batching       where each argument's batch dimension is
 * @param batchedRank    the first argument's rank from which it is batched ({@code (C)} is not, {@code (N, C)} is)
 * @param broadcastsBatch whether a batch of 1 broadcasts against the others' batch (cosine, triplet)
 * @param mean           what {@code reduction=mean} divides the sum by
 */
public record LossSpec(String className, String functionalName, List<Arg> args, Batching batching, int batchedRank,
                       boolean broadcastsBatch, Mean mean) {

    /** How the batch is laid out across the arguments. */
    public enum Batching {
        /**
         * Element-wise: the arguments broadcast NumPy-style (aligned on the right) and the batch is
         * dimension 0 of the broadcast shape; an argument without it (or with size 1 there) is shared.
         */
        BROADCAST,
        /** Row-wise: every argument's dimension 0 is the batch, when the first argument is batched. */
        LEADING,
        /** CTC: the first argument is {@code (T, N, C)}, its batch is dimension 1; the others' is dimension 0. */
        TIME_MAJOR
    }

    /** PyTorch's denominator for {@code reduction=mean}. */
    public enum Mean {
        /** The number of output elements. */
        ELEMENTS,
        /** With class-index targets, the sum of the targets' class weights, ignored targets excluded. */
        CLASS_WEIGHTS,
        /** CTC: the mean over samples of {@code loss_i / max(1, target_length_i)}. */
        PER_TARGET_LENGTH
    }

    /** The part an argument plays beyond holding values. */
    public enum Role {
        /** Floating-point values. */
        VALUES,
        /** Floating-point values that may lack the input's last dimension (PyTorch then unsqueezes it: GaussianNLL's var). */
        VALUES_TRAILING_OPTIONAL,
        /** Class indices: the class-weighted mean sums their weights. */
        CLASS_INDICES,
        /** Other integers (class indices of MultiMargin, label lists of MultiLabelMargin). */
        INDICES,
        /** CTC's labels: padded {@code (N, S)} or concatenated 1-D, which is cut by the target lengths. */
        LABELS,
        /** CTC's per-sample input lengths. */
        INPUT_LENGTHS,
        /** CTC's per-sample target lengths, which also weigh the mean. */
        TARGET_LENGTHS;

        /** Whether the argument holds integers (read as int64 from an integer file). */
        public boolean integers() {
            return this != VALUES && this != VALUES_TRAILING_OPTIONAL;
        }
    }

    /** One tensor of {@code forward()}: its PyTorch name, whether the gradient is computed for it, its role. */
    public record Arg(String name, boolean differentiable, Role role) {
        public Arg {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(role, "role");
        }
    }

    public LossSpec {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(functionalName, "functionalName");
        Objects.requireNonNull(batching, "batching");
        Objects.requireNonNull(mean, "mean");
        args = List.copyOf(args);
        if (args.isEmpty() || args.stream().map(Arg::name).distinct().count() != args.size()) {
            throw new IllegalArgumentException(className + ": arguments must be non-empty and distinct: " + args);
        }
        if (args.stream().noneMatch(Arg::differentiable)) {
            throw new IllegalArgumentException(className + ": no differentiable argument");
        }
        if (batchedRank < 1) {
            throw new IllegalArgumentException(className + ": batchedRank " + batchedRank + ", expected >= 1");
        }
    }

    /** Starts a spec: {@code LossSpec.of("NLLLoss", "nll_loss").grad("input").arg("target", CLASS_INDICES)...}. */
    public static Builder of(String className, String functionalName) {
        return new Builder(className, functionalName);
    }

    /** The argument names in order. */
    public List<String> argumentNames() {
        return args.stream().map(Arg::name).toList();
    }

    /** The differentiable argument names, in order. */
    public List<String> differentiableArguments() {
        return args.stream().filter(Arg::differentiable).map(Arg::name).toList();
    }

    /** The argument playing {@code role}, if any. */
    public Optional<Arg> argWith(Role role) {
        return args.stream().filter(a -> a.role() == role).findFirst();
    }

    /** The argument named {@code name}; throws if there is none. */
    public Arg arg(String name) {
        return args.stream().filter(a -> a.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(functionalName + " has no argument " + name));
    }

    /** Builds a {@link LossSpec}; every part must be given (rows, streaming and mean). */
    public static final class Builder {
        private final String className;
        private final String functionalName;
        private final List<Arg> args = new ArrayList<>();
        private Batching batching;
        private int batchedRank;
        private boolean broadcastsBatch;
        private Mean mean;

        private Builder(String className, String functionalName) {
            this.className = className;
            this.functionalName = functionalName;
        }

        /** A differentiable floating-point argument. */
        public Builder grad(String name) {
            return add(new Arg(name, true, Role.VALUES));
        }

        /** A differentiable argument with a role. */
        public Builder grad(String name, Role role) {
            return add(new Arg(name, true, role));
        }

        /** A non-differentiable argument. */
        public Builder arg(String name, Role role) {
            return add(new Arg(name, false, role));
        }

        private Builder add(Arg a) {
            args.add(a);
            return this;
        }

        /**
         * How the batch streams.
         *
         * @param batchedRank     the first argument's rank from which it is batched
         * @param broadcastsBatch whether a batch of 1 broadcasts against the others
         */
        public Builder batch(Batching batching, int batchedRank, boolean broadcastsBatch) {
            this.batching = batching;
            this.batchedRank = batchedRank;
            this.broadcastsBatch = broadcastsBatch;
            return this;
        }

        public Builder mean(Mean mean) {
            this.mean = mean;
            return this;
        }

        public LossSpec build() {
            if (new HashSet<>(args).size() != args.size()) {
                throw new IllegalArgumentException(className + ": duplicate argument");
            }
            return new LossSpec(className, functionalName, args, batching, batchedRank, broadcastsBatch, mean);
        }
    }
}
