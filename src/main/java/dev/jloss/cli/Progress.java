package dev.jloss.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar with throughput on stderr, redrawn in place with a carriage return. It
 * appears only once a run has taken a second (short runs stay silent) and is erased when the run ends,
 * so that an error message, if any, is still the only line left.
 */
final class Progress {
    private static final long DELAY_NANOS = 1_000_000_000L;
    private static final long PERIOD_NANOS = 200_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean enabled;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastLength;

    Progress(PrintWriter err, boolean enabled, long totalBytes) {
        this.err = err;
        this.enabled = enabled;
        this.total = Math.max(1, totalBytes);
    }

    /** Reports {@code done} bytes of input processed. */
    void update(long done) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - start < DELAY_NANOS || now - lastDraw < PERIOD_NANOS) {
            return;
        }
        lastDraw = now;
        double frac = Math.min(1.0, (double) done / total);
        double secs = (now - start) / 1e9;
        double rate = done / secs;
        int filled = (int) Math.round(frac * WIDTH);
        String eta = rate > 0 ? String.format(Locale.ROOT, "%.0fs", (total - done) / rate) : "?";
        String line = String.format(Locale.ROOT, "jloss [%s%s] %3.0f%%  %s of %s  %s/s  ETA %s",
                "#".repeat(filled), "-".repeat(WIDTH - filled), frac * 100, bytes(done), bytes(total), bytes((long) rate),
                eta);
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }

    /** Erases the bar if it was drawn. */
    void finish() {
        if (lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
