package dev.jloss.plan;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One backend's implementations of the loss families, one line per family, checked by the compiler:
 * {@code put(NLLLossPlan.FAMILY, NLLLossCpu::new)} only compiles when the kernel takes that family's
 * plan. Kernels are created on first use and kept; a family missing from the table is the
 * {@code BackendException}-worthy case the caller reports (a test checks that every family is present
 * in every backend).
 */
public final class KernelTable {
    private final Map<KernelFamily<?>, Supplier<? extends LossKernel<?>>> factories = new IdentityHashMap<>();
    private final Map<KernelFamily<?>, LossKernel<?>> created = new IdentityHashMap<>();

    /** Registers the factory of {@code family}'s kernel. */
    public <P> KernelTable put(KernelFamily<P> family, Supplier<? extends LossKernel<P>> factory) {
        if (factories.putIfAbsent(family, factory) != null) {
            throw new IllegalStateException("internal error: loss family " + family.name() + " registered twice");
        }
        return this;
    }

    /** {@code family}'s kernel, created on first use; null if the table has none. */
    @SuppressWarnings("unchecked")
    public synchronized <P> LossKernel<P> get(KernelFamily<P> family) {
        LossKernel<?> k = created.get(family);
        if (k == null) {
            Supplier<? extends LossKernel<?>> f = factories.get(family);
            if (f == null) {
                return null;
            }
            k = f.get();
            created.put(family, k);
        }
        return (LossKernel<P>) k;
    }

    /** Whether {@code family} has a kernel here. */
    public boolean has(KernelFamily<?> family) {
        return factories.containsKey(family);
    }
}
