package dev.jloss.backend.device;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The error flag of one loss call: an int on the device, INT_MAX until a kernel finds an invalid
 * element and atomically lowers it to that element's index (so the lowest index wins, whatever
 * the schedule). It is read once, when a result of the call is first read to the host; a set flag
 * becomes the same exception the CPU backend throws, built by {@code describe} from the index.
 */
public final class DeviceError {
    static final int CLEAR = Integer.MAX_VALUE;

    private final DeviceBackend backend;
    final Object flag;
    private final IntFunction<RuntimeException> describe;
    private final AtomicInteger refs;
    private volatile boolean checked;

    DeviceError(DeviceBackend backend, Object flag, IntFunction<RuntimeException> describe) {
        this.backend = backend;
        this.flag = flag;
        this.describe = describe;
        this.refs = new AtomicInteger(1);
    }

    void retain() {
        refs.incrementAndGet();
    }

    /** The device buffer to pass to kernels as their {@code err} argument. */
    public Object flag() {
        return flag;
    }

    /** Throws the call's error if a kernel reported one; waits for the device the first time. */
    synchronized void check() {
        if (checked) {
            return;
        }
        int v = backend.readInt(flag);
        checked = v == CLEAR;
        if (v != CLEAR) {
            throw describe.apply(v);
        }
    }

    /** One holder (the call, or a result tensor) is done with the flag; the last frees it. */
    public void release() {
        if (refs.decrementAndGet() == 0) {
            backend.free(flag);
        }
    }
}
