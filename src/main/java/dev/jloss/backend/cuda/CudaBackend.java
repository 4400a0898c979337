package dev.jloss.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import dev.jloss.BackendException;
import dev.jloss.DeviceMemoryException;
import dev.jloss.backend.device.DeviceBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The CUDA backend, through JCuda's driver API only (it needs {@code libcuda.so.1} and nothing
 * else: no runtime, NVRTC or cuBLAS, whose natives are tied to CUDA 12 sonames). The kernels come
 * prebuilt from the jar ({@code kernels-cu/jloss.fatbin}, built by nvcc in the Maven build); one
 * primary context, one stream and one module per device, created once. Allocations and frees are
 * stream-ordered ({@code cuMemAllocAsync}/{@code cuMemFreeAsync}, so the driver's pool reuses memory
 * and a free never races a running kernel). Device: {@code jloss.cuda.device} / {@code JLOSS_CUDA_DEVICE}
 * (ordinal, default 0).
 */
public final class CudaBackend extends DeviceBackend {
    static final String FATBIN = "/kernels-cu/jloss.fatbin";
    private static final int WGS = 256; // the WGS the fatbin was compiled with (reduce.h's default)

    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final String description;
    private final int computeUnits;
    /** The device's memory (cuMemGetInfo's total): no single buffer can be larger. */
    private final long totalMemory;
    private volatile boolean closed;

    /** Why the driver could not be loaded, remembered: a JVM loads a native library once. */
    private static volatile String driverUnavailable;

    public CudaBackend() {
        byte[] fatbin = readFatbin();
        if (driverUnavailable != null) {
            throw new BackendException(driverUnavailable);
        }
        try {
            setExceptionsEnabled(true);
            cuInit(0);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            String all = fullMessage(e);
            driverUnavailable = all.contains("libcuda.so")
                    ? "CUDA unavailable: libcuda.so.1 not found (no NVIDIA driver on this machine)"
                    : "CUDA unavailable: cannot load JCuda's driver-API native: " + firstLine(e.getMessage());
            throw new BackendException(driverUnavailable, e);
        } catch (CudaException e) {
            throw new BackendException("CUDA unavailable: cuInit failed: " + e.getMessage(), e);
        }
        try {
            int[] count = new int[1];
            cuDeviceGetCount(count);
            if (count[0] == 0) {
                throw new BackendException("CUDA unavailable: the driver loaded but found no CUDA device");
            }
            String want = System.getProperty("jloss.cuda.device", System.getenv().getOrDefault("JLOSS_CUDA_DEVICE", "0"));
            int ordinal;
            try {
                ordinal = Integer.parseInt(want.trim());
            } catch (NumberFormatException e) {
                throw new BackendException("CUDA: jloss.cuda.device/JLOSS_CUDA_DEVICE must be a device ordinal, got '" + want + "'");
            }
            if (ordinal < 0 || ordinal >= count[0]) {
                throw new BackendException("CUDA: device " + ordinal + " requested, " + count[0] + " present");
            }
            CUdevice device = new CUdevice();
            cuDeviceGet(device, ordinal);
            cuDevicePrimaryCtxRetain(context, device);
            cuCtxSetCurrent(context);
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            cuModuleLoadData(module, fatbin);
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, device);
            int[] v = new int[1];
            cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
            computeUnits = v[0];
            long[] free = new long[1];
            long[] total = new long[1];
            cuMemGetInfo(free, total);
            totalMemory = total[0] > 0 ? total[0] : Long.MAX_VALUE;
            int[] major = new int[1];
            int[] minor = new int[1];
            cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
            cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
            int[] driver = new int[1];
            cuDriverGetVersion(driver);
            description = new String(name).trim().replace("\0", "") + " (sm_" + major[0] + minor[0] + ", "
                    + computeUnits + " SMs, driver " + driver[0] / 1000 + "." + (driver[0] % 1000) / 10 + ")";
        } catch (CudaException e) {
            throw new BackendException("CUDA unavailable: " + e.getMessage(), e);
        }
    }

    private static String fullMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append('\n');
            for (Throwable s : c.getSuppressed()) {
                sb.append(s.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    private static byte[] readFatbin() {
        try (InputStream in = CudaBackend.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                throw new BackendException("CUDA unavailable: jloss was built without CUDA kernels (nvcc was not found "
                        + "when the jar was built)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BackendException("CUDA unavailable: cannot read " + FATBIN + ": " + e.getMessage(), e);
        }
    }

    private void current() {
        if (closed) {
            throw new BackendException("cuda backend is closed");
        }
        cuCtxSetCurrent(context);
    }

    private static BackendException fail(String what, CudaException e) {
        return new BackendException("cuda: " + what + " failed: " + e.getMessage(), e);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    protected Object allocateBuffer(long bytes) {
        current();
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAllocAsync(p, Math.max(bytes, 8), stream);
        } catch (CudaException e) {
            if (e.getMessage() != null && e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY")) {
                long[] free = new long[1];
                long[] total = new long[1];
                cuMemGetInfo(free, total);
                throw new DeviceMemoryException("cuda: allocating " + bytes + " bytes failed: " + e.getMessage()
                        + " (" + free[0] + " of the device's " + total[0] + " bytes free)", bytes, free[0], e);
            }
            throw fail("allocating " + bytes + " bytes", e);
        }
        return p;
    }

    @Override
    public long maxBufferBytes() {
        return totalMemory;
    }

    @Override
    protected String maxBufferName() {
        return "the device's memory";
    }

    @Override
    protected void freeBuffer(Object handle) {
        if (closed) {
            return; // the context and its memory are gone already
        }
        current();
        cuMemFreeAsync((CUdeviceptr) handle, stream);
    }

    @Override
    protected void write(Object handle, long offset, ByteBuffer src, long bytes) {
        current();
        try {
            cuMemcpyHtoDAsync(((CUdeviceptr) handle).withByteOffset(offset), Pointer.to(src), bytes, stream);
            cuStreamSynchronize(stream); // the direct buffer may be reused once this returns
        } catch (CudaException e) {
            throw fail("copy to device", e);
        }
    }

    @Override
    protected void read(Object handle, long offset, ByteBuffer dst, long bytes) {
        current();
        try {
            cuMemcpyDtoHAsync(Pointer.to(dst), ((CUdeviceptr) handle).withByteOffset(offset), bytes, stream);
            cuStreamSynchronize(stream);
        } catch (CudaException e) {
            throw fail("copy to host", e);
        }
    }

    @Override
    protected void fill(Object handle, long bytes, int pattern) {
        current();
        if (bytes > 0) {
            cuMemsetD32Async((CUdeviceptr) handle, pattern, bytes / 4, stream);
        }
    }

    @Override
    protected void copyBuffer(Object src, Object dst, long bytes) {
        current();
        try {
            cuMemcpyDtoDAsync((CUdeviceptr) dst, (CUdeviceptr) src, bytes, stream);
        } catch (CudaException e) {
            throw fail("device-to-device copy", e);
        }
    }

    /** {@code options} are OpenCL build options: the fatbin is built once, for every launch. */
    @Override
    protected void launch(String file, String kernel, String options, long groups, Object... args) {
        if (groups <= 0) {
            return;
        }
        current();
        CUfunction f = functions.computeIfAbsent(kernel, k -> {
            CUfunction fn = new CUfunction();
            try {
                cuModuleGetFunction(fn, module, k);
            } catch (CudaException e) {
                throw fail("looking up kernel " + k + " (from kernels-cu/" + file + ".cu)", e);
            }
            return fn;
        });
        Pointer[] ps = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                ps[i] = Pointer.to(new CUdeviceptr());
            } else if (a instanceof CUdeviceptr p) {
                ps[i] = Pointer.to(p);
            } else if (a instanceof Long l) {
                ps[i] = Pointer.to(new long[] {l});
            } else if (a instanceof Integer n) {
                ps[i] = Pointer.to(new int[] {n});
            } else if (a instanceof Float x) {
                ps[i] = Pointer.to(new float[] {x});
            } else {
                throw new IllegalStateException("internal error: kernel argument " + i + " of type " + a.getClass());
            }
        }
        if (groups > Integer.MAX_VALUE) {
            throw new IllegalStateException("internal error: " + groups + " blocks requested for " + kernel);
        }
        try {
            cuLaunchKernel(f, (int) groups, 1, 1, WGS, 1, 1, 0, stream, Pointer.to(ps), null);
        } catch (CudaException e) {
            throw fail("launching " + kernel, e);
        }
    }

    @Override
    public int wgs() {
        return WGS;
    }

    @Override
    public int computeUnits() {
        return computeUnits;
    }

    @Override
    public boolean fp64() {
        return true;
    }

    @Override
    public void synchronize() {
        current();
        cuStreamSynchronize(stream);
    }

    /** Device memory in use, from cuMemGetInfo (for leak checks). */
    public long usedDeviceMemory() {
        current();
        long[] free = new long[1];
        long[] total = new long[1];
        cuMemGetInfo(free, total);
        return total[0] - free[0];
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            cuCtxSetCurrent(context);
            cuStreamSynchronize(stream);
            cuModuleUnload(module);
            cuStreamDestroy(stream);
            CUdevice d = new CUdevice();
            cuCtxGetDevice(d);
            cuDevicePrimaryCtxRelease(d);
        } catch (CudaException e) {
            throw fail("closing", e);
        } finally {
            closed = true;
        }
    }

    @Override
    public String toString() {
        return "CudaBackend[" + description + "]";
    }
}
