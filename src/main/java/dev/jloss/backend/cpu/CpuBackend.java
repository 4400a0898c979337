package dev.jloss.backend.cpu;

import dev.jloss.Backend;
import dev.jloss.BackendException;
import dev.jloss.DType;
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
import java.util.Arrays;

/**
 * The pure-Java backend: the reference and the fallback. Tensors are Java arrays (so at most
 * 2^31-1 elements each); kernels accumulate in double and split work deterministically across the
 * common fork-join pool ({@link CpuParallel}).
 */
public final class CpuBackend implements Backend {

    /** Each loss family's CPU kernel: one line per family. */
    private static final KernelTable KERNELS = new KernelTable()
            .put(PointwisePlan.FAMILY, PointwiseCpu::new)
            .put(CrossEntropyLossPlan.FAMILY, CrossEntropyLossCpu::new)
            .put(NLLLossPlan.FAMILY, NLLLossCpu::new)
            .put(MultiMarginLossPlan.FAMILY, MultiMarginLossCpu::new)
            .put(MultiLabelMarginLossPlan.FAMILY, MultiLabelMarginLossCpu::new)
            .put(MultiLabelSoftMarginLossPlan.FAMILY, MultiLabelSoftMarginLossCpu::new)
            .put(CosineEmbeddingLossPlan.FAMILY, CosineEmbeddingLossCpu::new)
            .put(TripletMarginLossPlan.FAMILY, TripletMarginLossCpu::new)
            .put(CTCLossPlan.FAMILY, CTCLossCpu::new);

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean onHostCpu() {
        return true;
    }

    @Override
    public String description() {
        return "pure Java on " + Runtime.getRuntime().availableProcessors() + " threads, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + "; "
                + VectorSupport.description();
    }

    private static int checkedLength(long[] shape, int dataLength) {
        long n = Tensor.numel(shape);
        if (n != dataLength) {
            throw new LossArgumentException("tensor: shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, data has " + dataLength);
        }
        return dataLength;
    }

    private static int hostLength(long[] shape) {
        long n = Tensor.numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new LossArgumentException("tensor: shape " + Arrays.toString(shape) + " has " + n
                    + " elements, the CPU backend holds at most 2^31-9 per tensor");
        }
        return (int) n;
    }

    @Override
    public Tensor tensor(float[] data, long... shape) {
        checkedLength(shape, data.length);
        return new Tensor(this, DType.FLOAT32, shape, new HostStorage(data, null, null));
    }

    @Override
    public Tensor tensor(long[] data, long... shape) {
        checkedLength(shape, data.length);
        return new Tensor(this, DType.INT64, shape, new HostStorage(null, data, null));
    }

    @Override
    public Tensor tensor(int[] data, long... shape) {
        checkedLength(shape, data.length);
        return new Tensor(this, DType.INT32, shape, new HostStorage(null, null, data));
    }

    /** Result arrays recycled across calls (see {@link HostPool}). */
    private final HostPool pool = new HostPool();

    @Override
    public Tensor zeros(DType dtype, long... shape) {
        int n = hostLength(shape);
        if (dtype == DType.FLOAT32) {
            return new Tensor(this, dtype, shape, new HostStorage(pool.zeroed(n), null, null, pool));
        }
        return switch (dtype) {
            case FLOAT32 -> tensor(new float[n], shape);
            case INT64 -> tensor(new long[n], shape);
            case INT32 -> tensor(new int[n], shape);
        };
    }

    /** A float32 result array from the pool, contents unspecified (NaN under {@code -Djloss.cpu.poison=true}). */
    @Override
    public Tensor empty(DType dtype, long... shape) {
        if (dtype != DType.FLOAT32) {
            return zeros(dtype, shape);
        }
        return new Tensor(this, dtype, shape, new HostStorage(pool.dirty(hostLength(shape)), null, null, pool));
    }

    @Override
    public void zero(Tensor t) {
        own(t);
        float[] f = HostStorage.floats(t);
        if (f == null) {
            throw new LossArgumentException("tensor: zero() needs a float32 tensor, got " + t.dtype());
        }
        CpuParallel.forEach(f.length, 1 << 20, 1, (s, e) -> java.util.Arrays.fill(f, (int) s, (int) e, 0f));
    }

    /** Bytes of result arrays held for reuse (tests). */
    long pooledBytes() {
        return pool.heldBytes();
    }

    @Override
    public float[] readFloats(Tensor t) {
        own(t);
        return HostStorage.floats(t).clone();
    }

    @Override
    public void readFloats(Tensor t, float[] dst) {
        own(t);
        float[] f = HostStorage.floats(t);
        System.arraycopy(f, 0, dst, 0, f.length);
    }

    @Override
    public long[] readLongs(Tensor t) {
        own(t);
        long[] l = HostStorage.longs(t);
        return l != null ? l.clone() : HostStorage.asLongs(t);
    }

    private void own(Tensor t) {
        if (t.backend() != this) {
            throw new LossArgumentException("tensor lives on backend " + t.backend().name() + ", not this cpu backend");
        }
    }

    @Override
    public <P> LossKernel<P> kernel(KernelFamily<P> family) {
        LossKernel<P> k = KERNELS.get(family);
        if (k == null) {
            throw new BackendException("cpu backend has no kernel for loss family " + family.name());
        }
        return k;
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public String toString() {
        return "CpuBackend";
    }
}
