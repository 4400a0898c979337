package dev.jloss.bench;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * A probe of what fresh memory costs on this machine: allocates a 64 MiB direct buffer (malloc, then
 * zeroed by the JVM: every page touched once) and frees it at once, five times; prints the best time.
 * Run by {@link Suite} with and without the glibc tunables that make freed memory stay in the
 * process. On a VM where a first touch of a page is slow this explains peers that allocate per call.
 */
public final class FirstTouch {
    private FirstTouch() {
    }

    public static void main(String[] args) throws Exception {
        Class<?> uc = Class.forName("sun.misc.Unsafe");
        Field f = uc.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        Method clean = uc.getMethod("invokeCleaner", ByteBuffer.class);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            long t = System.nanoTime();
            ByteBuffer b = ByteBuffer.allocateDirect(64 << 20);
            clean.invoke(unsafe, b);
            best = Math.min(best, (System.nanoTime() - t) / 1e6);
        }
        System.out.println(String.format(Locale.ROOT, "%.1f", best));
    }
}
