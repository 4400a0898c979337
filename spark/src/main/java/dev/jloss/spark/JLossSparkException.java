package dev.jloss.spark;

import dev.jloss.LossArgumentException;

/** Bad input found in a DataFrame: names the column, the row (partition and index, or key) and what was expected. */
public final class JLossSparkException extends LossArgumentException {
    private static final long serialVersionUID = 1L;

    public JLossSparkException(String message) {
        super(message);
    }

    /** The first {@code JLossSparkException} in a cause chain (Spark wraps a task's exception), or null. */
    static JLossSparkException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof JLossSparkException j) {
                return j;
            }
        }
        return null;
    }
}
