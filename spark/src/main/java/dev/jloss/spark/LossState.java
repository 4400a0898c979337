package dev.jloss.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The aggregation buffer of one group: the exact partial sums, the counts, the first row's shape per
 * argument, and the rows not evaluated yet (at most one batch, evaluated together when the batch is full,
 * on merge and at the end). Every field merges exactly, so the result does not depend on the merge order.
 * Public only because Spark's buffer encoder needs a public class; its fields are not part of the API.
 */
public final class LossState implements Serializable {
    private static final long serialVersionUID = 1L;

    final ExactSum sum = new ExactSum();
    final ExactSum weights = new ExactSum();
    long rows;
    long elements;
    long counted;
    /** The first row's shape of each argument, and where that row was (for messages). */
    long[][] shapes;
    String firstWhere;
    final List<Object[]> pending = new ArrayList<>();
    final List<String> pendingWhere = new ArrayList<>();
    long pendingElements;
}
