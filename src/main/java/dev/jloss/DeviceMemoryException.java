package dev.jloss;

/**
 * A device could not hold what was asked: one buffer larger than the device's largest allocation
 * ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE} on OpenCL, the device's memory on CUDA), or not enough free
 * memory left for it. The message names the bytes asked for and the limit; the backend stays usable.
 *
 * <p>Example: {@code opencl: a buffer of 8589934592 bytes is larger than the device's largest,
 * 4294967296 bytes (CL_DEVICE_MAX_MEM_ALLOC_SIZE)}.
 */
public class DeviceMemoryException extends BackendException {
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long limitBytes;

    public DeviceMemoryException(String message, long requestedBytes, long limitBytes, Throwable cause) {
        super(message, cause);
        this.requestedBytes = requestedBytes;
        this.limitBytes = limitBytes;
    }

    /** The bytes of the allocation that failed. */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** The limit it ran into: the largest buffer, or the memory free on the device then (bytes). */
    public long limitBytes() {
        return limitBytes;
    }
}
