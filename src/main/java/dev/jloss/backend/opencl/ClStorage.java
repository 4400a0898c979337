package dev.jloss.backend.opencl;

import dev.jloss.backend.Storage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CL;
import org.jocl.cl_mem;

/**
 * An OpenCL buffer behind one tensor. A buffer written by a loss call that checks data on the device
 * (class indices, BCE's [0,1] range) carries that call's {@link DeviceError}: it is checked when the
 * buffer is first read back to the host, so a call never waits for the device itself.
 */
public final class ClStorage implements Storage {
    final cl_mem mem;
    final long bytes;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();
    volatile DeviceError pendingError;

    ClStorage(cl_mem mem, long bytes, boolean owned) {
        this.mem = mem;
        this.bytes = bytes;
        this.owned = owned;
    }

    /** The buffer (for kernels). */
    public cl_mem mem() {
        return mem;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            DeviceError e = pendingError;
            if (e != null) {
                e.release();
            }
            if (owned) {
                // NOTE: OpenCL defers the free until commands using the buffer have finished.
                CL.clReleaseMemObject(mem);
            }
        }
    }
}
