package dev.jloss.cli;

import java.util.List;
import java.util.Map;

/**
 * How many batch rows one chunk holds, and so how many chunks a run takes: a memory budget (a tenth
 * of the heap, between 2 and 64 MiB) over the bytes one batch row costs, within what one array can
 * hold. {@code --chunk-rows} overrides the budget.
 */
final class ChunkPlanner {
    private final LossLayout.Plan plan;
    private final long rows;
    private final long chunks;

    /**
     * @param names     the argument names in order
     * @param shapes    each argument's shape, by name
     * @param asInt     whether each argument is read as int64 (8 bytes an element) rather than float32
     * @param gradOf    the arguments whose gradient is computed (empty without {@code --grad})
     * @param chunkRows {@code --chunk-rows}, or 0 for the budget
     */
    ChunkPlanner(LossLayout.Plan plan, List<String> names, Map<String, long[]> shapes, Map<String, Boolean> asInt,
                 List<String> gradOf, long chunkRows) {
        this.plan = plan;
        this.rows = chooseRows(names, shapes, asInt, gradOf, chunkRows);
        long n = plan.batch();
        this.chunks = !plan.batched() ? 1 : Math.max(1, (n + rows - 1) / rows);
    }

    /**
     * Rows per chunk: the budget over the bytes one batch row costs: its input elements twice (the
     * chunk being evaluated and the one being read), its gradients and outputs with their host copies.
     */
    private long chooseRows(List<String> names, Map<String, long[]> shapes, Map<String, Boolean> asInt,
                            List<String> gradOf, long chunkRows) {
        long maxRowElems = 1;
        long rowBytes = 0;
        long n = Math.max(1, plan.batch());
        for (String name : names) {
            LossLayout.Slice s = plan.args().get(name);
            if (s.kind() == LossLayout.Slice.Kind.WHOLE) {
                continue;
            }
            long[] shape = shapes.get(name);
            long elems = Math.max(1, StreamingEval.numel(shape) / (s.kind() == LossLayout.Slice.Kind.RAGGED ? n
                    : Math.max(1, shape[s.dim()])));
            maxRowElems = Math.max(maxRowElems, elems);
            rowBytes += 2 * elems * (asInt.get(name) ? 8 : 4);
            if (gradOf.contains(name)) {
                rowBytes += 3 * elems * 4;
            }
        }
        rowBytes += 3 * maxRowElems * 4;
        long limit = (Integer.MAX_VALUE - 8) / maxRowElems;
        if (chunkRows > 0) {
            return Math.max(1, Math.min(chunkRows, limit));
        }
        long budget = Math.max(2L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 10));
        return Math.max(1, Math.min(budget / Math.max(1, rowBytes), limit));
    }

    /** Batch rows per chunk (the last chunk may hold fewer). */
    long rows() {
        return rows;
    }

    /** How many chunks the run takes; 1 for a loss whose first tensor is not batched. */
    long chunks() {
        return chunks;
    }

    /** The first batch row of chunk {@code k}. */
    long start(long k) {
        return plan.batched() ? Math.min(plan.batch(), k * rows) : 0;
    }

    /** One past the last batch row of chunk {@code k}. */
    long end(long k) {
        return plan.batched() ? Math.min(plan.batch(), start(k) + rows) : 1;
    }

    /** Rows per chunk as reported: no more than the batch; 1 for an unbatched call. */
    long reportedRows() {
        return plan.batched() ? Math.min(rows, plan.batch()) : 1;
    }
}
