package dev.jloss.bench;

import dev.jloss.Tensor;
import dev.jloss.backend.Backends;
import dev.jloss.backend.device.DeviceBackend;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The hardware limit each loss is measured against: a copy of one float array into another, both far
 * larger than the caches, counted as 2 × size bytes (read + write, as STREAM counts its copy).
 * <ul>
 *   <li>{@code java}: {@code System.arraycopy} in 4 MiB chunks on the common fork-join pool, i.e. on
 *       the same threads as jloss's CPU kernels;</li>
 *   <li>{@code java-1t}: one thread, one {@code System.arraycopy} (a single core's bandwidth);</li>
 *   <li>{@code opencl} / {@code cuda}: a device buffer-to-buffer copy
 *       ({@link DeviceBackend#copy}: {@code clEnqueueCopyBuffer} / {@code cuMemcpyDtoDAsync}), waited for.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CopyBench {
    /** 64 Mi floats = 256 MiB per array. */
    @Param("67108864")
    public int floats;

    @Param("java")
    public String kind;

    private static final int CHUNK = 1 << 20;

    private float[] src;
    private float[] dst;
    private DeviceBackend device;
    private Tensor dsrc;
    private Tensor ddst;

    @Setup(Level.Trial)
    public void setup() {
        if (kind.startsWith("java")) {
            src = new float[floats];
            dst = new float[floats];
            for (int i = 0; i < floats; i++) {
                src[i] = i;
            }
        } else {
            device = (DeviceBackend) Backends.named(kind);
            float[] host = new float[floats];
            dsrc = device.tensor(host, floats);
            ddst = device.tensor(host, floats);
        }
    }

    /** Bytes one copy moves: read the source, write the destination. */
    public static long bytes(long floats) {
        return 2L * 4L * floats;
    }

    @Benchmark
    public Object copy() {
        switch (kind) {
            case "java" -> {
                int chunks = (floats + CHUNK - 1) / CHUNK;
                IntStream.range(0, chunks).parallel().forEach(c -> {
                    int s = c * CHUNK;
                    System.arraycopy(src, s, dst, s, Math.min(CHUNK, floats - s));
                });
                return dst;
            }
            case "java-1t" -> {
                System.arraycopy(src, 0, dst, 0, floats);
                return dst;
            }
            default -> {
                device.copy(dsrc, ddst);
                device.synchronize();
                return ddst;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (device != null) {
            dsrc.close();
            ddst.close();
            device.close();
        }
    }
}
