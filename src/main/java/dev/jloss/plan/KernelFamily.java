package dev.jloss.plan;

/**
 * The key under which a backend registers its implementation of one loss family. The name is the
 * family's name in every layer ({@code cross_entropy}: {@code kernels-cl/cross_entropy.cl},
 * {@code CrossEntropyLossCpu}); {@code planType} is the validated plan the loss hands its kernel.
 */
public record KernelFamily<P>(String name, Class<P> planType) {
}
