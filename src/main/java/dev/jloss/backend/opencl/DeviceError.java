package dev.jloss.backend.opencl;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_mem;

/**
 * The error flag of one loss call: an int on the device, INT_MAX until a kernel finds an invalid
 * element and atomically lowers it to that element's index (so the lowest index wins, whatever
 * the schedule). Read once, when a result of the call is first read to the host; a set flag becomes
 * the same exception the CPU backend throws, built by {@code describe} from the index.
 */
final class DeviceError {
    static final int CLEAR = Integer.MAX_VALUE;

    final cl_mem flag;
    private final IntFunction<RuntimeException> describe;
    private final AtomicInteger refs;
    private volatile boolean checked;

    DeviceError(cl_mem flag, IntFunction<RuntimeException> describe, int users) {
        this.flag = flag;
        this.describe = describe;
        this.refs = new AtomicInteger(users);
    }

    /** Throws the call's error if a kernel reported one; blocks on the queue the first time. */
    synchronized void check(cl_command_queue queue) {
        if (checked) {
            return;
        }
        int[] v = new int[1];
        CL.clEnqueueReadBuffer(queue, flag, CL.CL_TRUE, 0, Sizeof.cl_int, Pointer.to(v), 0, null, null);
        checked = v[0] == CLEAR;
        if (v[0] != CLEAR) {
            throw describe.apply(v[0]);
        }
    }

    /** One user (a result tensor) is done with the flag; the last frees it. */
    void release() {
        if (refs.decrementAndGet() == 0) {
            CL.clReleaseMemObject(flag);
        }
    }
}
