package dev.jloss.backend.cpu;

import dev.jloss.BackendException;
import dev.jloss.backend.LossKernel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the CPU implementation of a loss family by its name: family {@code cross_entropy} is
 * implemented by {@code dev.jloss.backend.cpu.CrossEntropyCpu}. A new family adds a class; nothing
 * here grows.
 */
final class CpuKernels {
    private CpuKernels() {
    }

    static Map<String, LossKernel<?>> all() {
        return new ConcurrentHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            public LossKernel<?> get(Object key) {
                return computeIfAbsent((String) key, CpuKernels::load);
            }
        };
    }

    /** {@code cross_entropy} to {@code CrossEntropyCpu}. */
    static String className(String family) {
        StringBuilder sb = new StringBuilder(CpuKernels.class.getPackageName()).append('.');
        for (String part : family.split("_")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.append("Cpu").toString();
    }

    private static LossKernel<?> load(String family) {
        String cn = className(family);
        try {
            return (LossKernel<?>) Class.forName(cn).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new BackendException("cpu backend has no kernel for loss family " + family + " (" + cn + ")", e);
        }
    }
}
