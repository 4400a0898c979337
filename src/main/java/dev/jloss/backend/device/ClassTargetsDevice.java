package dev.jloss.backend.device;

import dev.jloss.DType;
import dev.jloss.Tensor;
import dev.jloss.plan.ClassTargetErrors;
import java.nio.ByteBuffer;

/**
 * Class-index targets (int64 or int32) on a GPU backend, for the nll_loss and cross_entropy launchers:
 * the kernels' typed target pointers, the denominator of a mean that writes the gradient
 * ({@code class_targets_weight_sum} in {@code kernels-cl/class_targets.cl}, then {@code reduce_partials}
 * into a device scalar, with no host round trip), and the CPU backend's exception for the position an
 * error flag reports. The device side of {@code dev.jloss.backend.cpu.ClassTargetsCpu}.
 */
final class ClassTargetsDevice {
    private ClassTargetsDevice() {
    }

    /** The target's buffer as the kernels' {@code t64} argument, or null for an int32 target. */
    static Object int64(Tensor target) {
        return target.dtype() == DType.INT64 ? DeviceBackend.handle(target) : null;
    }

    /** The target's buffer as the kernels' {@code t32} argument, or null for an int64 target. */
    static Object int32(Tensor target) {
        return target.dtype() == DType.INT32 ? DeviceBackend.handle(target) : null;
    }

    /**
     * Enqueues the sum of {@code w[t]} (1 without a weight) over the positions whose target is not
     * {@code ignoreIndex} and returns the device scalar (one accumulation-type value) it lands in; the
     * caller releases it. Targets out of range are reported to {@code err}. The sum is split over
     * positions as the loss kernels' per-position loops split them ({@link DeviceBackend#groupsFor}).
     */
    static Object weightSum(DeviceBackend dev, Tensor target, Object weight, long positions, long classes,
                            long ignoreIndex, DeviceError err) {
        long groups = dev.groupsFor(positions);
        Object partials = dev.allocate(groups * dev.accBytes());
        Object den = dev.allocate(dev.accBytes());
        try {
            classTargetsWeightSum(dev, groups, int64(target), int32(target), weight, positions, classes, ignoreIndex,
                    partials, err.flag());
            dev.reducePartials(null, 0, partials, groups, 1f, null, den);
            Object result = den;
            den = null;
            return result;
        } finally {
            dev.release(partials);
            dev.release(den);
        }
    }

    /** {@code class_targets_weight_sum} (class_targets.cl) over {@code groups} work-groups. */
    private static void classTargetsWeightSum(DeviceBackend dev, long groups, Object t64, Object t32, Object w,
                                              long positions, long classes, long ignoreIndex, Object denPartials,
                                              Object err) {
        dev.launch("class_targets", "class_targets_weight_sum", "", groups, t64, t32, w, positions, classes,
                ignoreIndex, denPartials, err);
    }

    /**
     * The CPU backend's exception for the out-of-range target the kernels reported at position
     * {@code index}. An index saturated at 2^31 - 2 only says the position is at least that far: the
     * targets are then searched from there, one element at a time (this is the error path).
     */
    static RuntimeException describe(DeviceBackend dev, String fn, Tensor target, long classes, long ignoreIndex,
                                     int index) {
        long positions = target.numel();
        for (long i = index; i < positions; i++) {
            long t = targetAt(dev, target, i);
            if (t != ignoreIndex && (t < 0 || t >= classes)) {
                return ClassTargetErrors.outOfBounds(fn, t, classes, ignoreIndex);
            }
            if (index < Integer.MAX_VALUE - 1) {
                break;
            }
        }
        return new IllegalStateException("internal error: the device flagged target position " + index + " of " + fn
                + " but it is in range on the host");
    }

    /** Target {@code i}, read exactly (a double would round int64 values beyond 2^53). */
    private static long targetAt(DeviceBackend dev, Tensor target, long i) {
        int size = target.dtype().bytes();
        ByteBuffer b = DeviceBackend.direct(size);
        dev.read(DeviceBackend.handle(target), i * size, b, size);
        return target.dtype() == DType.INT64 ? b.getLong(0) : b.getInt(0);
    }
}
