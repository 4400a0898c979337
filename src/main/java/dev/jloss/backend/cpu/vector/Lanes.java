package dev.jloss.backend.cpu.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species the SIMD kernels use: the platform's preferred float shape (512-bit with AVX-512,
 * 256-bit with AVX2, 128-bit with NEON). Only {@link dev.jloss.backend.cpu.VectorSupport} reads
 * {@link #FLOAT_LANES}, reflectively, after it has found the incubator module.
 *
 * <p>Rule for this package: it is the only one that imports {@code jdk.incubator.vector}, and what it
 * offers the rest of the backend are static methods over primitives and arrays, called only when
 * {@code VectorSupport.enabled()}.
 */
public final class Lanes {
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    public static final int FLOAT_LANES = F.length();
    /** The double species of the same width (4 lanes with AVX2), for kernels that keep double lanes. */
    public static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Int lanes of {@link #F}'s shape (the exponent-bit arithmetic of {@link PointwiseMath}). */
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Floats with as many lanes as {@link #D}: loaded and widened to {@code D}, or narrowed from it. */
    static final VectorSpecies<Float> FD = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    private Lanes() {
    }
}
