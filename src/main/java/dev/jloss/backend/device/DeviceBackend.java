package dev.jloss.backend.device;

import dev.jloss.Backend;
import dev.jloss.BackendException;
import dev.jloss.DType;
import dev.jloss.DeviceMemoryException;
import dev.jloss.LossArgumentException;
import dev.jloss.Tensor;
import dev.jloss.plan.CTCLossPlan;
import dev.jloss.plan.CosineEmbeddingLossPlan;
import dev.jloss.plan.CrossEntropyLossPlan;
import dev.jloss.plan.KernelFamily;
import dev.jloss.plan.KernelTable;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiLabelMarginLossPlan;
import dev.jloss.plan.MultiLabelSoftMarginLossPlan;
import dev.jloss.plan.MultiMarginLossPlan;
import dev.jloss.plan.NLLLossPlan;
import dev.jloss.plan.PointwisePlan;
import dev.jloss.plan.TripletMarginLossPlan;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * What the GPU backends share: the small interface each driver implements (allocate, free, copy in,
 * copy out, fill, launch a kernel by name with a 1-D grid) and everything built on it — tensors,
 * error flags, and one launcher per loss family written once for both OpenCL and CUDA
 * ({@code dev.jloss.backend.device.<Family>Device}, found by the family's name, with the same
 * kernel names and argument order in {@code kernels-cl/} and {@code kernels-cu/}).
 *
 * <p>Each kernel is launched by one typed method with the kernel's parameters ({@link #reducePartials},
 * {@link #broadcastSum}, and one per kernel in its family's launcher) over the driver's untyped
 * {@link #launch}.
 */
public abstract class DeviceBackend implements Backend {

    // ---- the driver interface -------------------------------------------------------------------

    /** A new device buffer of at least {@code bytes} (never zero-sized). */
    protected abstract Object allocateBuffer(long bytes);

    /** Frees a buffer once the commands already queued on it are done. */
    protected abstract void freeBuffer(Object handle);

    /** Copies {@code bytes} from a direct buffer to the device (blocking). */
    protected abstract void write(Object handle, long offset, ByteBuffer src, long bytes);

    /** Copies {@code bytes} to a direct buffer after all queued work (blocking). */
    protected abstract void read(Object handle, long offset, ByteBuffer dst, long bytes);

    /** Fills {@code bytes} (a multiple of 4) with a 32-bit pattern, in queue order. */
    protected abstract void fill(Object handle, long bytes, int pattern);

    /**
     * Copies {@code bytes} from one device buffer to another, in queue order. OpenCL and CUDA
     * override it with a device-side copy that does not wait; this fallback, for other drivers,
     * goes through the host.
     */
    protected void copyBuffer(Object src, Object dst, long bytes) {
        ByteBuffer b = direct(bytes);
        read(src, 0, b, bytes);
        write(dst, 0, b, bytes);
    }

    /**
     * Enqueues kernel {@code kernel} of kernel file {@code file} ({@code pointwise} for
     * {@code kernels-cl/pointwise.cl} / {@code kernels-cu/pointwise.cu}) over {@code groups}
     * work-groups of {@link #wgs()} work-items; nothing for {@code groups <= 0}. {@code options}
     * are extra OpenCL build options ({@code -DTERM=3}); the CUDA fatbin is built once, so a CUDA
     * driver ignores them: they may only specialise what a kernel argument already says, or tune
     * the work split on CPU devices.
     *
     * <p>{@code args} are the kernel's arguments in order: a device handle (from {@link #handle(Tensor)}
     * or {@link #allocate}), {@code null} for an absent buffer, {@link Long} (jl_long), {@link Integer}
     * (int) or {@link Float} (float). Only the typed method of each kernel calls this (one per kernel:
     * {@link #reducePartials}, {@link #broadcastSum}, and each launcher's own), so every argument list
     * is written once, against the kernel's signature ({@code KernelContractTest} checks them).
     */
    protected abstract void launch(String file, String kernel, String options, long groups, Object... args);

    /** Work-group (block) size of every launch; {@code WGS} in the kernels. */
    public abstract int wgs();

    /** Compute units (multiprocessors) of the device. */
    public abstract int computeUnits();

    /** Whether the kernels accumulate in double. */
    public abstract boolean fp64();

    /** Waits for all queued work. */
    public abstract void synchronize();

    // ---- built on it ----------------------------------------------------------------------------

    private final java.util.concurrent.atomic.AtomicLong liveBuffers = new java.util.concurrent.atomic.AtomicLong();

    /**
     * The largest single buffer the device allocates, in bytes ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE},
     * the device's memory on CUDA).
     */
    public long maxBufferBytes() {
        return Long.MAX_VALUE;
    }

    /**
     * A new device buffer of at least {@code bytes}; counted until freed. A buffer larger than
     * {@link #maxBufferBytes()} is a {@link DeviceMemoryException} before the driver is asked
     * (drivers answer it variously, some not at all until a kernel touches the memory).
     */
    public final Object allocate(long bytes) {
        if (bytes > maxBufferBytes()) {
            throw new DeviceMemoryException(name() + ": a buffer of " + bytes + " bytes is larger than the device's"
                    + " largest, " + maxBufferBytes() + " bytes (" + maxBufferName() + ")", bytes, maxBufferBytes(), null);
        }
        Object h = allocateBuffer(bytes);
        liveBuffers.incrementAndGet();
        return h;
    }

    /** What the driver calls {@link #maxBufferBytes()}, for messages. */
    protected String maxBufferName() {
        return "the driver's limit";
    }

    final void free(Object handle) {
        freeBuffer(handle);
        liveBuffers.decrementAndGet();
    }

    /** Device buffers allocated and not yet freed (tensors, temporaries, error flags): a leak check. */
    public long liveBuffers() {
        return liveBuffers.get();
    }

    /** Work-groups for a grid-stride loop over {@code n} items: enough to fill the device, no more than needed. */
    public long groupsFor(long n) {
        long needed = (n + wgs() - 1) / wgs();
        return Math.max(1, Math.min(needed, computeUnits() * 8L));
    }

    /** Bytes of the type kernels accumulate sums in. */
    public int accBytes() {
        return fp64() ? 8 : 4;
    }

    static ByteBuffer direct(long bytes) {
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new LossArgumentException("tensor: " + bytes + " bytes do not fit one host transfer buffer");
        }
        return ByteBuffer.allocateDirect((int) Math.max(bytes, 8)).order(ByteOrder.nativeOrder());
    }

    private Tensor upload(DType dtype, long[] shape, ByteBuffer data) {
        long bytes = Tensor.numel(shape) * dtype.bytes();
        Object h = allocate(bytes);
        if (bytes > 0) {
            write(h, 0, data, bytes);
        }
        return new Tensor(this, dtype, shape, new DeviceStorage(this, h, bytes, true));
    }

    private static void checkCount(long[] shape, int length) {
        long n = Tensor.numel(shape);
        if (n != length) {
            throw new LossArgumentException("tensor: shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, data has " + length);
        }
    }

    @Override
    public Tensor tensor(float[] data, long... shape) {
        checkCount(shape, data.length);
        ByteBuffer b = direct(data.length * 4L);
        b.asFloatBuffer().put(data);
        return upload(DType.FLOAT32, shape, b);
    }

    @Override
    public Tensor tensor(long[] data, long... shape) {
        checkCount(shape, data.length);
        ByteBuffer b = direct(data.length * 8L);
        b.asLongBuffer().put(data);
        return upload(DType.INT64, shape, b);
    }

    @Override
    public Tensor tensor(int[] data, long... shape) {
        checkCount(shape, data.length);
        ByteBuffer b = direct(data.length * 4L);
        b.asIntBuffer().put(data);
        return upload(DType.INT32, shape, b);
    }

    /** Wraps a device buffer the caller holds (cl_mem or CUdeviceptr), without a copy; closing the tensor leaves it alone. */
    public Tensor wrap(Object handle, DType dtype, long... shape) {
        return new Tensor(this, dtype, shape, new DeviceStorage(this, handle, Tensor.numel(shape) * dtype.bytes(), false));
    }

    @Override
    public Tensor zeros(DType dtype, long... shape) {
        long bytes = Tensor.numel(shape) * dtype.bytes();
        Object h = allocate(bytes);
        fill(h, (bytes + 3) / 4 * 4, 0);
        return new Tensor(this, dtype, shape, new DeviceStorage(this, h, bytes, true));
    }

    @Override
    public void zero(Tensor t) {
        DeviceStorage s = own(t);
        fill(s.handle(), (t.numel() * t.dtype().bytes() + 3) / 4 * 4, 0);
    }

    private DeviceStorage own(Tensor t) {
        if (t.backend() != this) {
            throw new LossArgumentException("tensor lives on backend " + t.backend().name() + ", not this " + name()
                    + " backend");
        }
        DeviceStorage s = (DeviceStorage) t.storage();
        if (s.isClosed()) {
            throw new LossArgumentException("tensor: " + t + " was closed");
        }
        DeviceError e = s.pendingError;
        if (e != null) {
            e.check();
        }
        return s;
    }

    private ByteBuffer readAll(Tensor t) {
        DeviceStorage s = own(t);
        long bytes = t.numel() * t.dtype().bytes();
        ByteBuffer b = direct(bytes);
        if (bytes > 0) {
            read(s.handle, 0, b, bytes);
        }
        return b;
    }

    @Override
    public float[] readFloats(Tensor t) {
        float[] f = new float[(int) t.numel()];
        readAll(t).asFloatBuffer().get(f);
        return f;
    }

    @Override
    public long[] readLongs(Tensor t) {
        ByteBuffer b = readAll(t);
        long[] l = new long[(int) t.numel()];
        if (t.dtype() == DType.INT64) {
            b.asLongBuffer().get(l);
        } else {
            for (int i = 0; i < l.length; i++) {
                l[i] = b.getInt(i * 4);
            }
        }
        return l;
    }

    /** One element of a device tensor as double (error messages only; waits for the device). */
    public double readElement(Tensor t, long index) {
        int size = t.dtype().bytes();
        ByteBuffer b = direct(size);
        read(((DeviceStorage) t.storage()).handle, index * size, b, size);
        return switch (t.dtype()) {
            case FLOAT32 -> b.getFloat(0);
            case INT64 -> b.getLong(0);
            case INT32 -> b.getInt(0);
        };
    }

    int readInt(Object handle) {
        ByteBuffer b = direct(4);
        read(handle, 0, b, 4);
        return b.getInt(0);
    }

    /**
     * Enqueues a device-to-device copy of {@code src} into {@code dst} (same dtype and shape) and
     * returns without waiting; {@link #synchronize()} waits. The benchmarks time it as the device's
     * memory-bandwidth limit ({@code clEnqueueCopyBuffer}, {@code cuMemcpyDtoDAsync}).
     */
    public void copy(Tensor src, Tensor dst) {
        DeviceStorage s = own(src);
        DeviceStorage d = own(dst);
        if (src.dtype() != dst.dtype() || !Arrays.equals(src.shape(), dst.shape())) {
            throw new LossArgumentException("copy: destination " + dst + " does not match source " + src);
        }
        if (s.bytes > 0) {
            copyBuffer(s.handle, d.handle, s.bytes);
        }
    }

    /** The device handle of a tensor, or null for a null tensor. */
    public static Object handle(Tensor t) {
        return t == null ? null : ((DeviceStorage) t.storage()).handle;
    }

    /** Frees a temporary buffer (after the queued work using it); null is ignored. */
    public void release(Object handle) {
        if (handle != null) {
            free(handle);
        }
    }

    /**
     * Writes the reduced loss of an input with nothing to reduce into {@code out}, on the device: an
     * empty sum is 0, an empty mean 0 / 0 = NaN (PyTorch's answers). Nothing to do for a null {@code out}.
     */
    public void emptyReduction(Tensor out, boolean mean) {
        if (out != null) {
            reducePartials(null, 0, null, 0, mean ? Float.NaN : 1f, handle(out), null);
        }
    }

    /**
     * {@code reduce_partials} ({@code kernels-cl/reduce.cl}), one work-group: adds {@code n} partial
     * sums in a fixed order and divides by the sum of {@code nDen} partial denominators, or by
     * {@code divisor} when {@code nDen} is 0; writes the loss to {@code out} and the denominator used
     * to {@code denOut} (each when not null). Partials and denominators are {@link #accBytes()} each.
     */
    final void reducePartials(Object partials, long n, Object den, long nDen, float divisor, Object out,
                              Object denOut) {
        launch("reduce", "reduce_partials", "", 1, partials, n, den, nDen, divisor, out, denOut);
    }

    /** {@link #reducePartials} of a loss whose denominator is known on the host (1 for a sum). */
    final void reducePartials(Object partials, long n, float divisor, Object out) {
        reducePartials(partials, n, null, 0, divisor, out, null);
    }

    /**
     * {@code broadcast_sum} ({@code kernels-cl/reduce.cl}): {@code dst[j]} = the sum, in a fixed order,
     * of the elements of {@code full} (the broadcast shape, contiguous) that read element {@code j} of
     * an operand; {@code meta} = {nd, shape[nd], the operand's strides[nd]} (stride 0 where broadcast).
     */
    final void broadcastSum(Object full, Object meta, Object dst, long nDst) {
        launch("reduce", "broadcast_sum", "", groupsFor(nDst), full, meta, dst, nDst);
    }

    /** Uploads a small host array (an option tensor, launch metadata). */
    public Object constant(float[] data) {
        ByteBuffer b = direct(data.length * 4L);
        b.asFloatBuffer().put(data);
        Object h = allocate(data.length * 4L);
        write(h, 0, b, data.length * 4L);
        return h;
    }

    public Object constant(long[] data) {
        ByteBuffer b = direct(data.length * 8L);
        b.asLongBuffer().put(data);
        Object h = allocate(data.length * 8L);
        write(h, 0, b, data.length * 8L);
        return h;
    }

    /**
     * A fresh error flag (INT_MAX) for one call. The call holds one reference: it either hands the
     * flag to its results with {@link #attach} or, on failure, calls {@link DeviceError#release()}.
     */
    public DeviceError newError(IntFunction<RuntimeException> describe) {
        Object flag = allocate(4);
        fill(flag, 4, DeviceError.CLEAR);
        return new DeviceError(this, flag, describe);
    }

    /** Attaches a call's error flag to its result tensors (each releases it when closed) and drops the call's reference. */
    public static void attach(DeviceError e, Tensor... results) {
        for (Tensor t : results) {
            if (t != null) {
                e.retain();
                ((DeviceStorage) t.storage()).pendingError = e;
            }
        }
        e.release();
    }

    /** Each loss family's launcher, written once for OpenCL and CUDA: one line per family. */
    private final KernelTable kernels = new KernelTable()
            .put(PointwisePlan.FAMILY, () -> new PointwiseDevice(this))
            .put(CrossEntropyLossPlan.FAMILY, () -> new CrossEntropyLossDevice(this))
            .put(NLLLossPlan.FAMILY, () -> new NLLLossDevice(this))
            .put(MultiMarginLossPlan.FAMILY, () -> new MultiMarginLossDevice(this))
            .put(MultiLabelMarginLossPlan.FAMILY, () -> new MultiLabelMarginLossDevice(this))
            .put(MultiLabelSoftMarginLossPlan.FAMILY, () -> new MultiLabelSoftMarginLossDevice(this))
            .put(CosineEmbeddingLossPlan.FAMILY, () -> new CosineEmbeddingLossDevice(this))
            .put(TripletMarginLossPlan.FAMILY, () -> new TripletMarginLossDevice(this))
            .put(CTCLossPlan.FAMILY, () -> new CTCLossDevice(this));

    @Override
    public <P> LossKernel<P> kernel(KernelFamily<P> family) {
        LossKernel<P> k = kernels.get(family);
        if (k == null) {
            throw new BackendException(name() + " backend has no kernels for loss family " + family.name());
        }
        return k;
    }

}
