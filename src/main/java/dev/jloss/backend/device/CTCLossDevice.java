package dev.jloss.backend.device;

import dev.jloss.BackendException;
import dev.jloss.DType;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CTCLossPlan;
import dev.jloss.plan.LossKernel;

/**
 * CTCLoss on a GPU backend ({@code kernels-cl/ctc_loss.cl}, {@code kernels-cu/ctc_loss.cu}), the
 * CPU kernel's semantics: for concatenated targets {@code ctc_loss_offsets} finds each sample's
 * first label and checks the target lengths; {@code ctc_loss_forward_backward} runs one work-group
 * per sample, the alpha recursion in log space with a barrier per time step, then (for the gradient)
 * the beta recursion backwards, writing each time step's gradient row as beta reaches it, and the
 * per-sample loss or its group's partial sum in the same launch; {@code reduce_partials} finishes
 * {@code sum} and {@code mean} in a fixed order. Nothing is read back to the host during a call.
 *
 * <p>Device memory per call: with the gradient, every sample's alpha matrix, {@code T x (2S+1)}
 * values of the accumulation type (PyTorch keeps alpha and beta, each in float: the same bytes),
 * else two rows per sample; plus the extended labels and their links ({@code (2S+1)} ints per
 * sample, {@code S} the padded length; concatenated targets use their total length instead of
 * {@code N x S}).
 *
 * <p>Data checks (input lengths, padded target lengths, concatenated lengths and their sum, labels out of
 * range or equal to the blank) are made on the device; a failed one is thrown, with the CPU backend's
 * exact message, when a result of the call is first read.
 */
final class CTCLossDevice implements LossKernel<CTCLossPlan> {
    /** {@code flags} bits of {@code ctc_loss_forward_backward}: {@code CTC_FLAG_<NAME>} in ctc_loss.cl. */
    static final class Flags {
        static final int CONCATENATED = 1;
        static final int STORE_OUT = 2;
        static final int PARTIALS = 4;
        static final int GRAD = 8;
        static final int ZERO_INFINITY = 16;
        static final int MEAN = 32;
        static final int GO_PER_SAMPLE = 64;
    }

    private final DeviceBackend dev;

    CTCLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(CTCLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long batch = p.batch();
        long capacity = p.targetCapacity();
        boolean none = p.reduction() == Reduction.NONE;
        boolean wantGrad = grads.length > 0 && grads[0] != null;
        Tensor grad = wantGrad ? grads[0] : null;
        long groups = Math.min(batch, dev.computeUnits() * 8L);
        long rows = wantGrad ? p.maxTime() : 2;
        long cells;
        long workBytes;
        long iworkBytes;
        try {
            cells = p.concatenated() ? Math.addExact(Math.multiplyExact(2, capacity), batch)
                    : Math.multiplyExact(batch, Math.addExact(Math.multiplyExact(2, capacity), 1));
            workBytes = Math.multiplyExact(Math.multiplyExact(rows + (wantGrad ? 2 : 0), cells), dev.accBytes());
            iworkBytes = Math.multiplyExact(Math.addExact(Math.multiplyExact(wantGrad ? 2 : 1, cells),
                    wantGrad ? Math.multiplyExact(groups, p.classes()) : 0), 4);
        } catch (ArithmeticException e) {
            throw new BackendException(dev.name() + ": ctc_loss needs more than 2^63 bytes of device memory for "
                    + "its alpha matrices (T=" + p.maxTime() + ", N=" + batch + ", S=" + capacity + ")", e);
        }
        int flags = (p.concatenated() ? Flags.CONCATENATED : 0) | (wantGrad ? Flags.GRAD : 0)
                | (p.zeroInfinity() ? Flags.ZERO_INFINITY : 0) | (p.reduction() == Reduction.MEAN ? Flags.MEAN : 0)
                | (none ? Flags.GO_PER_SAMPLE : 0);
        if (out != null) {
            flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
        }
        Object[] lengths = {typed(args[2], DType.INT64), typed(args[2], DType.INT32),
            typed(args[3], DType.INT64), typed(args[3], DType.INT32)};
        Object offsets = null;
        Object work = null;
        Object iwork = null;
        Object partials = null;
        DeviceError err = dev.newError(i -> describe(p, args, i));
        try {
            if (p.concatenated()) {
                offsets = dev.allocate(Math.max(batch, 1) * 8);
                ctcLossOffsets(lengths[2], lengths[3], batch, capacity, offsets, err.flag());
            }
            if ((flags & Flags.PARTIALS) != 0) {
                partials = dev.allocate(Math.max(groups, 1) * dev.accBytes());
            }
            if (groups > 0) {
                work = dev.allocate(workBytes);
                iwork = dev.allocate(iworkBytes);
                ctcLossForwardBackward(groups, DeviceBackend.handle(args[0]),
                        typed(args[1], DType.INT64), typed(args[1], DType.INT32), typed(args[1], DType.FLOAT32),
                        lengths[0], lengths[1], lengths[2], lengths[3], offsets,
                        p.maxTime(), batch, p.classes(), p.blank(), capacity, cells, flags, work, iwork,
                        DeviceBackend.handle(gradOutput), none ? DeviceBackend.handle(out) : null, partials,
                        DeviceBackend.handle(grad), err.flag());
            }
            if (partials != null) {
                float divisor = p.reduction() == Reduction.MEAN ? batch : 1;
                dev.reducePartials(partials, groups, divisor, DeviceBackend.handle(out));
            }
            DeviceBackend.attach(err, out, grad);
            err = null;
        } finally {
            dev.release(offsets);
            dev.release(work);
            dev.release(iwork);
            dev.release(partials);
            if (err != null) {
                err.release();
            }
        }
    }

    /**
     * {@code ctc_loss_offsets} (ctc_loss.cl), one work-group: each sample's first label in the
     * concatenated targets ({@code tl64}/{@code tl32}: the target lengths); checks the lengths and
     * that they sum to {@code total}.
     */
    private void ctcLossOffsets(Object tl64, Object tl32, long nSamples, long total, Object offsets, Object err) {
        dev.launch("ctc_loss", "ctc_loss_offsets", "", 1, tl64, tl32, nSamples, total, offsets, err);
    }

    /**
     * {@code ctc_loss_forward_backward} (ctc_loss.cl), one work-group per sample ({@code groups} of
     * them): targets {@code tg64}/{@code tg32}/{@code tgf}, input lengths {@code il64}/{@code il32},
     * target lengths {@code tl64}/{@code tl32}, by dtype.
     */
    private void ctcLossForwardBackward(long groups, Object lp, Object tg64, Object tg32, Object tgf, Object il64,
                                        Object il32, Object tl64, Object tl32, Object offsets, long maxTime,
                                        long nSamples, long classes, long blank, long capacity, long cells, int flags,
                                        Object work, Object iwork, Object go, Object out, Object partials,
                                        Object grad, Object err) {
        dev.launch("ctc_loss", "ctc_loss_forward_backward", "", groups, lp, tg64, tg32, tgf, il64, il32, tl64, tl32,
                offsets, maxTime, nSamples, classes, blank, capacity, cells, flags, work, iwork, go, out, partials,
                grad, err);
    }

    /** The tensor's device buffer when it has {@code dtype}, else null (the kernel's typed pointer arguments). */
    private static Object typed(Tensor t, DType dtype) {
        return t.dtype() == dtype ? DeviceBackend.handle(t) : null;
    }

    /**
     * The CPU backend's exception for the error index the kernels reported: below N a negative
     * concatenated target length, N their sum, N + 1 + n something in sample n. The host redoes the
     * CPU kernel's checks in its order on the lengths and the sample's labels (read exactly, as longs,
     * or as floats for float targets), from the flagged sample on (an index saturated at 2^31-2 only
     * says the sample is at least that far).
     */
    private RuntimeException describe(CTCLossPlan p, Tensor[] args, int index) {
        long batch = p.batch();
        long[] inputLengths = dev.readLongs(args[2]);
        long[] targetLengths = dev.readLongs(args[3]);
        long[] offsets = new long[(int) batch];
        if (p.concatenated()) {
            long sum = 0;
            boolean overflow = false;
            for (int b = 0; b < batch; b++) {
                if (targetLengths[b] < 0) {
                    return p.negativeTargetLengthError(b, targetLengths[b]);
                }
                offsets[b] = sum;
                if (targetLengths[b] > Long.MAX_VALUE - sum) {
                    overflow = true;
                } else {
                    sum += targetLengths[b];
                }
            }
            if (overflow || sum != p.targetCapacity()) {
                return p.targetSumError(overflow, sum);
            }
        }
        long[] intTargets = args[1].dtype() == DType.FLOAT32 ? null : dev.readLongs(args[1]);
        float[] floatTargets = intTargets == null ? dev.readFloats(args[1]) : null;
        for (long b = Math.max(0, index - batch - 1); b < batch; b++) {
            int n = (int) b;
            if (inputLengths[n] < 0 || inputLengths[n] > p.maxTime()) {
                return p.inputLengthError(b, inputLengths[n]);
            }
            long length = targetLengths[n];
            if (!p.concatenated() && (length < 0 || length > p.targetCapacity())) {
                return p.paddedTargetLengthError(b, length);
            }
            long base = p.concatenated() ? offsets[n] : b * p.targetCapacity();
            for (long j = 0; j < length; j++) {
                int k = (int) (base + j);
                long label;
                if (intTargets != null) {
                    label = intTargets[k];
                } else {
                    float f = floatTargets[k];
                    label = Float.isFinite(f) ? (long) f : -1;  // as the CPU kernel truncates float targets
                }
                if (label < 0 || label >= p.classes() || label == p.blank()) {
                    String value = floatTargets != null ? String.valueOf(floatTargets[k]) : String.valueOf(label);
                    return p.labelError(b, j, k, label, value);
                }
            }
        }
        return new IllegalStateException("internal error: the " + dev.name() + " ctc_loss kernel flagged error index "
                + index + " but the lengths and targets check out on the host");
    }
}
