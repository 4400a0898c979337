package dev.jloss.backend.opencl;

import static org.jocl.CL.*;

import dev.jloss.BackendException;
import dev.jloss.DeviceMemoryException;
import dev.jloss.backend.device.DeviceBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenCL backend (JOCL). One context and one in-order queue on the chosen device; programs
 * built from {@code kernels-cl/} once per (file, build options) and cached; tensors are device buffers
 * that stay on the device between calls. Device choice: GPUs, then accelerators, then CPUs, unless
 * {@code jloss.opencl.device} / {@code JLOSS_OPENCL_DEVICE} names one (a substring of the device
 * name, {@code gpu}, {@code cpu}, or a platform:device index such as {@code 0:1}).
 *
 * <p>This class is only the driver: the loss families' launchers are shared with CUDA
 * ({@link DeviceBackend}). Launches are serialised by a lock (kernel arguments live in the kernel
 * object), so several threads may use one backend.
 */
public final class OpenClBackend extends DeviceBackend {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClBackend.class);
    /** Work-group size for the reduction kernels: a power of two every device here supports. */
    static final int DEFAULT_WGS = 256;

    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_device_id device;
    private final String description;
    private final int wgs;
    private final int computeUnits;
    private final boolean fp64;
    private final boolean cpuDevice;
    private final long maxAlloc;
    private final Map<String, cl_program> programs = new ConcurrentHashMap<>();
    private final Map<String, cl_kernel> kernels = new ConcurrentHashMap<>();
    private final Object launchLock = new Object();
    private volatile boolean closed;

    public OpenClBackend() {
        try {
            setExceptionsEnabled(true);
            int[] n = new int[1];
            clGetPlatformIDs(0, null, n);
            if (n[0] == 0) {
                throw new BackendException("no OpenCL platform found (is an ICD such as pocl-opencl-icd installed?)");
            }
            cl_platform_id[] platforms = new cl_platform_id[n[0]];
            clGetPlatformIDs(n[0], platforms, null);
            Candidate pick = choose(platforms);
            this.device = pick.device;
            this.cpuDevice = (pick.type & CL_DEVICE_TYPE_CPU) != 0;
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, pick.platform);
            this.context = clCreateContext(props, 1, new cl_device_id[] {device}, null, null, null);
            this.queue = clCreateCommandQueue(context, device, 0, null);
            long[] maxWg = new long[1];
            clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(maxWg), null);
            this.wgs = (int) Math.min(DEFAULT_WGS, Long.highestOneBit(maxWg[0]));
            int[] cu = new int[1];
            clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint, Pointer.to(cu), null);
            this.computeUnits = Math.max(1, cu[0]);
            long[] maxAllocOut = new long[1];
            clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_ulong, Pointer.to(maxAllocOut), null);
            this.maxAlloc = maxAllocOut[0] > 0 ? maxAllocOut[0] : Long.MAX_VALUE;
            this.fp64 = deviceString(device, CL_DEVICE_EXTENSIONS).contains("cl_khr_fp64");
            this.description = pick.name + " (" + deviceString(device, CL_DEVICE_VERSION).trim() + ", "
                    + platformString(pick.platform, CL_PLATFORM_NAME) + ", " + computeUnits + " compute units"
                    + (fp64 ? ", fp64" : ", no fp64: sums in float") + ")";
            warnIfSignalHandlersAtRisk(platformString(pick.platform, CL_PLATFORM_NAME));
        } catch (CLException e) {
            throw new BackendException("OpenCL unavailable: " + e.getMessage(), e);
        } catch (UnsatisfiedLinkError e) {
            throw new BackendException("OpenCL unavailable: cannot load the OpenCL library (libOpenCL.so; on Debian "
                    + "install ocl-icd-opencl-dev and an ICD such as pocl-opencl-icd): " + e.getMessage(), e);
        }
    }

    /**
     * PoCL runs LLVM in this process, and LLVM installs its crash handler for SIGSEGV over the JVM's
     * (at device discovery and when it compiles). The JVM uses SIGSEGV for implicit null checks, so
     * from then on the JVM can die now and then with exit status 139 and no hs_err file (measured
     * here: one test run in three). Preloading the JDK's {@code libjsig.so} keeps the JVM's handler
     * first; bin/jloss, the tests and the benchmarks do. An application embedding jloss must do it.
     */
    private static void warnIfSignalHandlersAtRisk(String platform) {
        String preload = System.getenv("LD_PRELOAD");
        if (platform.contains("Portable Computing Language") && (preload == null || !preload.contains("libjsig"))) {
            LOG.warn("opencl: PoCL's LLVM replaces the JVM's SIGSEGV handler, which can crash this JVM (exit 139); "
                    + "run java with LD_PRELOAD={}/lib/libjsig.so", System.getProperty("java.home"));
        }
    }

    private record Candidate(cl_platform_id platform, cl_device_id device, String name, long type, String index) {
    }

    private static Candidate choose(cl_platform_id[] platforms) {
        List<Candidate> all = new ArrayList<>();
        for (int p = 0; p < platforms.length; p++) {
            int[] n = new int[1];
            try {
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException e) {
                continue; // CL_DEVICE_NOT_FOUND on this platform
            }
            cl_device_id[] ds = new cl_device_id[n[0]];
            clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, n[0], ds, null);
            for (int d = 0; d < ds.length; d++) {
                long[] type = new long[1];
                clGetDeviceInfo(ds[d], CL_DEVICE_TYPE, Sizeof.cl_long, Pointer.to(type), null);
                all.add(new Candidate(platforms[p], ds[d], deviceString(ds[d], CL_DEVICE_NAME).trim(), type[0],
                        p + ":" + d));
            }
        }
        if (all.isEmpty()) {
            throw new BackendException("no OpenCL device found on " + platforms.length + " platform(s)");
        }
        String want = System.getProperty("jloss.opencl.device");
        if (want == null || want.isBlank()) {
            want = System.getenv("JLOSS_OPENCL_DEVICE");
        }
        if (want != null && !want.isBlank()) {
            String w = want.trim().toLowerCase(Locale.ROOT);
            for (Candidate c : all) {
                if (c.index.equals(w) || c.name.toLowerCase(Locale.ROOT).contains(w)
                        || (w.equals("gpu") && (c.type & CL_DEVICE_TYPE_GPU) != 0)
                        || (w.equals("cpu") && (c.type & CL_DEVICE_TYPE_CPU) != 0)) {
                    return c;
                }
            }
            throw new BackendException("OpenCL device '" + want + "' (jloss.opencl.device/JLOSS_OPENCL_DEVICE) not found; "
                    + "devices: " + all.stream().map(c -> c.index + " " + c.name).toList());
        }
        all.sort((x, y) -> Integer.compare(rank(x.type), rank(y.type)));
        return all.get(0);
    }

    private static int rank(long type) {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) {
            return 0;
        }
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return 1;
        }
        return (type & CL_DEVICE_TYPE_CPU) != 0 ? 2 : 3;
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
        return new String(buf, 0, Math.max(0, buf.length - 1), StandardCharsets.UTF_8);
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, buf.length, Pointer.to(buf), null);
        return new String(buf, 0, Math.max(0, buf.length - 1), StandardCharsets.UTF_8).trim();
    }

    /** True for a CPU device (PoCL): ranked below the Java CPU backend by {@code Backends.auto()}. */
    @Override
    public boolean onHostCpu() {
        return cpuDevice;
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String description() {
        return description;
    }

    // ---- the driver interface -------------------------------------------------------------------

    /**
     * Freed buffers kept for reuse, by size class. PoCL spends ~300 ms allocating, first-touching and
     * unmapping an 80 MB buffer, so a training loop that allocates its gradient every call would be
     * dominated by it. The in-order queue makes reuse safe: a later command on a reused buffer runs
     * after every earlier command that used it. Bounded by {@code jloss.opencl.poolBytes}
     * (default 512 MiB); beyond it, freed buffers are released.
     */
    private final Map<Long, java.util.ArrayDeque<cl_mem>> pool = new java.util.HashMap<>();
    private final Map<cl_mem, Long> sizeOf = new java.util.IdentityHashMap<>();
    private long pooledBytes;
    private final long poolLimit = Long.getLong("jloss.opencl.poolBytes", 512L << 20);

    /** Sizes are rounded up to 4 KiB below 64 KiB, else to a quarter of a power of two, so buffers are reused. */
    static long sizeClass(long bytes) {
        long b = Math.max(bytes, 8);
        if (b <= 65536) {
            return (b + 4095) & ~4095L;
        }
        long step = Long.highestOneBit(b - 1) >> 2;
        return (b + step - 1) / step * step;
    }

    @Override
    public long maxBufferBytes() {
        return maxAlloc;
    }

    @Override
    protected String maxBufferName() {
        return "CL_DEVICE_MAX_MEM_ALLOC_SIZE";
    }

    @Override
    protected Object allocateBuffer(long bytes) {
        checkOpen();
        // the size class may round past the largest buffer the device allows; the request itself fits
        long size = Math.max(Math.max(bytes, 8), Math.min(sizeClass(bytes), maxAlloc));
        synchronized (pool) {
            java.util.ArrayDeque<cl_mem> free = pool.get(size);
            if (free != null && !free.isEmpty()) {
                pooledBytes -= size;
                cl_mem m = free.pop();
                sizeOf.put(m, size);
                return m;
            }
        }
        cl_mem m;
        try {
            m = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
        } catch (CLException e) {
            String err = e.getMessage();
            if (err != null && (err.contains("ALLOCATION_FAILURE") || err.contains("OUT_OF_RESOURCES")
                    || err.contains("OUT_OF_HOST_MEMORY") || err.contains("INVALID_BUFFER_SIZE"))) {
                throw new DeviceMemoryException("opencl: cannot allocate " + bytes + " bytes: " + err + " (the device"
                        + " allows buffers of up to " + maxAlloc + " bytes)", bytes, maxAlloc, e);
            }
            throw new BackendException("opencl: cannot allocate " + bytes + " bytes: " + err, e);
        }
        synchronized (pool) {
            sizeOf.put(m, size);
        }
        return m;
    }

    @Override
    protected void freeBuffer(Object handle) {
        cl_mem m = (cl_mem) handle;
        synchronized (pool) {
            Long size = sizeOf.remove(m);
            if (size != null && !closed && pooledBytes + size <= poolLimit) {
                pool.computeIfAbsent(size, k -> new java.util.ArrayDeque<>()).push(m);
                pooledBytes += size;
                return;
            }
        }
        // NOTE: OpenCL defers the free until the commands using the buffer have finished.
        clReleaseMemObject(m);
    }

    @Override
    protected void write(Object handle, long offset, ByteBuffer src, long bytes) {
        clEnqueueWriteBuffer(queue, (cl_mem) handle, CL_TRUE, offset, bytes, Pointer.to(src), 0, null, null);
    }

    @Override
    protected void read(Object handle, long offset, ByteBuffer dst, long bytes) {
        clEnqueueReadBuffer(queue, (cl_mem) handle, CL_TRUE, offset, bytes, Pointer.to(dst), 0, null, null);
    }

    @Override
    protected void fill(Object handle, long bytes, int pattern) {
        long n = bytes / 4;
        if (n > 0) {
            fillInt(handle, n, pattern);
        }
    }

    /** {@code fill_int} ({@code kernels-cl/reduce.cl}): {@code p[0..n) = value}. */
    private void fillInt(Object p, long n, int value) {
        launch("reduce", "fill_int", "", groupsFor(n), p, n, value);
    }

    @Override
    protected void copyBuffer(Object src, Object dst, long bytes) {
        clEnqueueCopyBuffer(queue, (cl_mem) src, (cl_mem) dst, 0, 0, bytes, 0, null, null);
    }

    @Override
    public int wgs() {
        return wgs;
    }

    @Override
    public int computeUnits() {
        return computeUnits;
    }

    @Override
    public boolean fp64() {
        return fp64;
    }

    @Override
    public void synchronize() {
        clFinish(queue);
    }

    // ---- programs and launches ------------------------------------------------------------------

    /** The kernel {@code name} of {@code kernels-cl/<file>} built with extra build options {@code extra}; cached. */
    private cl_kernel clKernel(String file, String extra, String name) {
        checkOpen();
        String options = "-cl-std=CL1.2 -DWGS=" + wgs + (cpuDevice ? " -DJL_CHUNKED=1" : "")
                + (extra.isEmpty() ? "" : " " + extra);
        String key = file + "|" + options + "|" + name;
        return kernels.computeIfAbsent(key, k -> {
            cl_program p = programs.computeIfAbsent(file + "|" + options, pk -> build(file, options));
            try {
                return clCreateKernel(p, name, null);
            } catch (CLException e) {
                throw new BackendException("opencl: no kernel " + name + " in " + file + ": " + e.getMessage(), e);
            }
        });
    }

    private cl_program build(String file, String options) {
        String src = source(file, new ArrayList<>());
        cl_program p = clCreateProgramWithSource(context, 1, new String[] {src}, null, null);
        try {
            clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        } catch (CLException e) {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            clReleaseProgram(p);
            throw new BackendException("opencl: building kernels-cl/" + file + " with '" + options + "' failed ("
                    + e.getMessage() + "):\n" + new String(log, StandardCharsets.UTF_8).trim(), e);
        }
        return p;
    }

    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*#include\\s+\"([^\"]+)\"\\s*$");

    /** The source of a kernel file with its {@code #include "x.h"} lines expanded once each. */
    static String source(String file, List<String> seen) {
        if (seen.contains(file)) {
            return "";
        }
        seen.add(file);
        String text;
        try (InputStream in = OpenClBackend.class.getResourceAsStream("/kernels-cl/" + file)) {
            if (in == null) {
                throw new BackendException("opencl: kernel source kernels-cl/" + file + " is not in the jar");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BackendException("opencl: cannot read kernels-cl/" + file, e);
        }
        Matcher m = INCLUDE.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(source(m.group(1), seen)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    @Override
    protected void launch(String file, String kernel, String options, long groups, Object... args) {
        if (groups <= 0) {
            return;
        }
        cl_kernel k = clKernel(file + ".cl", options, kernel);
        synchronized (launchLock) {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                if (a == null) {
                    clSetKernelArg(k, i, Sizeof.cl_mem, null);
                } else if (a instanceof cl_mem m) {
                    clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                } else if (a instanceof Long l) {
                    clSetKernelArg(k, i, Sizeof.cl_long, Pointer.to(new long[] {l}));
                } else if (a instanceof Integer n) {
                    clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {n}));
                } else if (a instanceof Float f) {
                    clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {f}));
                } else {
                    throw new IllegalStateException("internal error: kernel argument " + i + " of type " + a.getClass());
                }
            }
            clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {groups * wgs}, new long[] {wgs}, 0, null, null);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new BackendException("opencl backend is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            clFinish(queue);
            synchronized (pool) {
                pool.values().forEach(q -> q.forEach(CL::clReleaseMemObject));
                pool.clear();
                pooledBytes = 0;
            }
            kernels.values().forEach(CL::clReleaseKernel);
            programs.values().forEach(CL::clReleaseProgram);
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        } catch (CLException e) {
            throw new BackendException("opencl: error while closing: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "OpenClBackend[" + description + "]";
    }
}
