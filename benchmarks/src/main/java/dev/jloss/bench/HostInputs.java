package dev.jloss.bench;

import dev.jloss.DType;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A case's arguments as host arrays, drawn from a seed fixed per (loss, argument), so every JMH fork
 * and every implementation gets the same numbers.
 */
public final class HostInputs {
    public final Cases.Case kase;
    public final float[][] floats;
    public final long[][] longs;

    public HostInputs(Cases.Case kase) {
        this.kase = kase;
        List<Cases.Arg> args = kase.args();
        floats = new float[args.size()][];
        longs = new long[args.size()][];
        for (int i = 0; i < args.size(); i++) {
            Cases.Arg a = args.get(i);
            long n = a.numel();
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(kase.id() + ": argument " + a.name() + " has " + n
                        + " elements, more than one Java array holds");
            }
            SplittableRandom r = new SplittableRandom(kase.loss().hashCode() * 31L + i);
            if (a.dtype() == DType.FLOAT32) {
                floats[i] = new float[(int) n];
            } else {
                longs[i] = new long[(int) n];
            }
            a.gen().fill(r, a.shape(), floats[i], longs[i]);
        }
    }

    public int size() {
        return floats.length;
    }

    public Cases.Arg arg(int i) {
        return kase.args().get(i);
    }

    /** Total bytes of all arguments. */
    public long bytes() {
        long b = 0;
        for (Cases.Arg a : kase.args()) {
            b += a.numel() * a.dtype().bytes();
        }
        return b;
    }
}
