package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.LossSpec;
import dev.jloss.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads the tensors of a run chunk by chunk, as {@link LossLayout.Plan} cuts them: the arguments
 * passed whole once ({@link #readWhole}), the others a chunk of batch rows at a time through a
 * {@link Cursor}, which a {@link Prefetch} runs on a background thread one chunk ahead of the
 * evaluation. A concatenated label tensor (CTC's 1-D targets, {@link LossSpec.Role#LABELS}) is cut by
 * the running sum of the chunk's target lengths ({@link LossSpec.Role#TARGET_LENGTHS}).
 */
final class ChunkReader {

    /** A chunk's rows of one tensor, on the host: floats, or int64 for an argument read as integers. */
    record HostChunk(long[] shape, float[] f, long[] l) {
    }

    /**
     * The rows {@code [r0, r1)} of the tensors a cursor reads, on the host and (for a cursor that
     * uploads) on the backend; {@code ragged0} is where a RAGGED tensor's slice starts.
     */
    record Chunk(long index, long r0, long r1, Map<String, HostChunk> host, Map<String, Tensor> tensors, long ragged0) {
        void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    private final String fn;
    private final Map<String, ArraySource> sources;
    private final LossLayout.Plan plan;
    private final ChunkPlanner planner;
    private final Map<String, Boolean> asInt;
    private final String labels;
    private final String lengths;
    private final Map<String, HostChunk> whole = new HashMap<>();
    private final AtomicLong bytesRead = new AtomicLong();

    /**
     * @param sources each argument's source, by name
     * @param asInt   whether each argument is read as int64
     */
    ChunkReader(LossSpec spec, Map<String, ArraySource> sources, LossLayout.Plan plan, ChunkPlanner planner,
                Map<String, Boolean> asInt) {
        this.fn = spec.functionalName();
        this.sources = sources;
        this.plan = plan;
        this.planner = planner;
        this.asInt = asInt;
        this.labels = spec.argWith(LossSpec.Role.LABELS).map(LossSpec.Arg::name).orElse(null);
        this.lengths = spec.argWith(LossSpec.Role.TARGET_LENGTHS).map(LossSpec.Arg::name).orElse(null);
    }

    /** Bytes of input read so far, by every cursor. */
    long bytesRead() {
        return bytesRead.get();
    }

    /**
     * Reads every argument the plan passes whole, and checks that a RAGGED tensor's lengths cover it;
     * before any chunk.
     */
    void readWhole(List<String> names) {
        for (String name : names) {
            if (plan.args().get(name).kind() == LossLayout.Slice.Kind.WHOLE) {
                whole.put(name, readWhole(name));
            }
        }
        if (plan.args().containsValue(LossLayout.Slice.RAGGED)) {
            checkRaggedLengths();
        }
    }

    /** Whether {@code name} is passed whole to every chunk. */
    boolean isWhole(String name) {
        return whole.containsKey(name);
    }

    /** The host copy of an argument passed whole, or null. */
    HostChunk whole(String name) {
        return whole.get(name);
    }

    /** A chunk's rows of {@code name}, or the whole tensor when it is passed whole. */
    HostChunk host(Chunk c, String name) {
        return host(c.host(), name);
    }

    private HostChunk host(Map<String, HostChunk> chunk, String name) {
        HostChunk h = chunk.get(name);
        return h != null ? h : whole.get(name);
    }

    /**
     * The chunk's target lengths (the {@link LossSpec.Role#TARGET_LENGTHS} argument) as int64; throws
     * naming the dtype when they are floating point.
     */
    long[] targetLengths(Chunk c) {
        HostChunk h = host(c, lengths);
        if (h == null || h.l() == null) {
            throw new CliException(fn + ": " + lengths + " has dtype " + sources.get(lengths).dtypeName()
                    + ", expected int64 or int32");
        }
        return h.l();
    }

    /** A host chunk as a tensor of {@code backend}. */
    static Tensor toTensor(Backend backend, HostChunk h) {
        return h.f() != null ? backend.tensor(h.f(), h.shape()) : backend.tensor(h.l(), h.shape());
    }

    /** Concatenated labels: the target lengths must be non-negative and add up to the labels' length. */
    private void checkRaggedLengths() {
        ArraySource src = sources.get(lengths);
        if (src.isFloating()) {
            throw new CliException(fn + ": " + lengths + " has dtype " + src.dtypeName() + ", expected int64 or int32");
        }
        long n = StreamingEval.numel(src.shape());
        long total = 0;
        long[] buf = new long[(int) Math.min(n, 1 << 16)];
        for (long i = 0; i < n; i += buf.length) {
            int k = (int) Math.min(buf.length, n - i);
            src.readLongs(i, buf, 0, k);
            for (int j = 0; j < k; j++) {
                if (buf[j] < 0) {
                    throw new CliException(fn + ": " + lengths + "[" + (i + j) + "] is " + buf[j] + ", expected at least 0");
                }
                total += buf[j];
            }
        }
        long have = StreamingEval.numel(sources.get(labels).shape());
        if (total != have) {
            throw new CliException(fn + ": " + lengths + " sum to " + total + ", expected " + have
                    + " (the length of the concatenated targets)");
        }
    }

    private HostChunk readWhole(String name) {
        ArraySource s = sources.get(name);
        long[] shape = s.shape();
        long n = StreamingEval.numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new CliException(s.label() + ": " + n + " elements is too many to hold in memory at once; jloss streams"
                    + " only along the batch dimension");
        }
        bytesRead.addAndGet(n * (asInt.get(name) ? 8 : 4));
        if (asInt.get(name)) {
            long[] l = new long[(int) n];
            s.readLongs(0, l, 0, l.length);
            return new HostChunk(shape, null, l);
        }
        float[] f = new float[(int) n];
        s.readFloats(0, f, 0, f.length);
        return new HostChunk(shape, f, null);
    }

    /**
     * Reads the chunks of some tensors in order, from the first; several can run over the same
     * tensors (each keeps its own RAGGED offset).
     *
     * @param which  the arguments to read (those passed whole are skipped)
     * @param upload the backend to put each chunk's tensors on (on the cursor's thread), or null for the host only
     */
    Cursor cursor(List<String> which, Backend upload) {
        return new Cursor(which, upload);
    }

    /** A sequential reader of chunks; see {@link #cursor}. */
    final class Cursor {
        private final List<String> which;
        private final Backend upload;
        private long next;
        private long ragged;

        private Cursor(List<String> which, Backend upload) {
            this.which = which;
            this.upload = upload;
        }

        /** The next chunk. */
        Chunk next() {
            long k = next++;
            long r0 = planner.start(k);
            long r1 = planner.end(k);
            Map<String, HostChunk> host = new HashMap<>();
            String raggedName = null;
            for (String name : which) {
                LossLayout.Slice s = plan.args().get(name);
                switch (s.kind()) {
                    case WHOLE -> {
                    }
                    case SLICE -> host.put(name, readSlice(name, s.dim(), r0, r1));
                    case RAGGED -> raggedName = name;
                    default -> throw new IllegalStateException("internal error: slice " + s);
                }
            }
            long start = ragged;
            if (raggedName != null) {
                long len = 0;
                for (long v : host(host, lengths).l()) {
                    len += v;
                }
                host.put(raggedName, readRange(raggedName, ragged, len));
                ragged += len;
            }
            Map<String, Tensor> tensors = new HashMap<>();
            if (upload != null) {
                try {
                    for (Map.Entry<String, HostChunk> e : host.entrySet()) {
                        tensors.put(e.getKey(), toTensor(upload, e.getValue()));
                    }
                } catch (RuntimeException | Error e) {
                    tensors.values().forEach(Tensor::close);
                    throw e;
                }
            }
            return new Chunk(k, r0, r1, host, tensors, start);
        }

        private HostChunk readSlice(String name, int dim, long r0, long r1) {
            ArraySource src = sources.get(name);
            long[] shape = src.shape();
            long inner = StreamingEval.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
            long outer = StreamingEval.numel(Arrays.copyOfRange(shape, 0, dim));
            long nd = shape[dim];
            long run = (r1 - r0) * inner;
            long total = run * outer;
            if (total > Integer.MAX_VALUE - 8) {
                throw new CliException(src.label() + ": a chunk of " + (r1 - r0) + " rows has " + total
                        + " elements, too many to hold at once (use a smaller --chunk-rows)");
            }
            long[] cs = shape.clone();
            cs[dim] = r1 - r0;
            boolean ints = asInt.get(name);
            float[] f = ints ? null : new float[(int) total];
            long[] l = ints ? new long[(int) total] : null;
            for (long o = 0; o < outer; o++) {
                long from = (o * nd + r0) * inner;
                int off = (int) (o * run);
                if (ints) {
                    src.readLongs(from, l, off, (int) run);
                } else {
                    src.readFloats(from, f, off, (int) run);
                }
            }
            bytesRead.addAndGet(total * (ints ? 8 : 4));
            return new HostChunk(cs, f, l);
        }

        private HostChunk readRange(String name, long start, long n) {
            ArraySource src = sources.get(name);
            boolean ints = asInt.get(name);
            float[] f = ints ? null : new float[(int) n];
            long[] l = ints ? new long[(int) n] : null;
            if (ints) {
                src.readLongs(start, l, 0, (int) n);
            } else {
                src.readFloats(start, f, 0, (int) n);
            }
            bytesRead.addAndGet(n * (ints ? 8 : 4));
            return new HostChunk(new long[] {n}, f, l);
        }
    }

    /**
     * Runs a cursor one chunk ahead on a background thread, so that a chunk is read, converted and
     * uploaded while the previous one is evaluated. {@link #close()} frees a chunk read ahead that
     * was never taken (a failed run).
     */
    static final class Prefetch implements AutoCloseable {
        private final Cursor cursor;
        private final long chunks;
        private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jloss-reader");
            t.setDaemon(true);
            return t;
        });
        private Future<Chunk> pending;
        private long taken;

        /** Starts reading the first of {@code chunks} chunks. */
        Prefetch(Cursor cursor, long chunks) {
            this.cursor = cursor;
            this.chunks = chunks;
            this.pending = io.submit(cursor::next);
        }

        /** The next chunk, once read; starts reading the one after it, if any. */
        Chunk next() {
            Chunk c = await(pending);
            pending = null;
            if (++taken < chunks) {
                pending = io.submit(cursor::next);
            }
            return c;
        }

        @Override
        public void close() {
            if (pending != null) {
                // a failed chunk leaves the next one read (and maybe uploaded): let it finish, free it
                try {
                    pending.get().close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | RuntimeException ignored) {
                    // the run is failing already; its own error is the one to report
                }
                pending = null;
            }
            io.shutdown();
        }

        private static Chunk await(Future<Chunk> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the input", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("reading the input failed: " + c, c);
            }
        }
    }
}
