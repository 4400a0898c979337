package dev.jloss.backend.device;

import dev.jloss.plan.Storage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device buffer behind one tensor: an OpenCL {@code cl_mem} or a CUDA {@code CUdeviceptr}, held
 * as an opaque handle that only its {@link DeviceBackend} interprets. A buffer written by a loss
 * call that checks data on the device (class indices, BCE's [0,1] range) carries that call's
 * {@link DeviceError}: it is checked when the buffer is first read back to the host, so a call never
 * waits for the device itself.
 */
public final class DeviceStorage implements Storage {
    private final DeviceBackend backend;
    final Object handle;
    final long bytes;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();
    volatile DeviceError pendingError;

    DeviceStorage(DeviceBackend backend, Object handle, long bytes, boolean owned) {
        this.backend = backend;
        this.handle = handle;
        this.bytes = bytes;
        this.owned = owned;
    }

    /** The backend's handle ({@code cl_mem} or {@code CUdeviceptr}). */
    public Object handle() {
        return handle;
    }

    public long bytes() {
        return bytes;
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
                backend.free(handle);
            }
        }
    }
}
