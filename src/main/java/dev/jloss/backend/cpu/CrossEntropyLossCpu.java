package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CrossEntropyLossPlan;
import dev.jloss.plan.LossKernel;
import dev.jloss.backend.cpu.vector.CrossEntropyVector;
import dev.jloss.backend.cpu.vector.VectorMath;
import java.util.Arrays;

/**
 * cross_entropy on the CPU. The work is cut into fixed chunks of target positions ({@code n * S + s})
 * across threads; each position reduces over its C logits, whose stride is S (1 for (N, C) rows).
 *
 * <p>Per position, with the class dimension held in cache: sweep 1 finds the maximum {@code m} (and,
 * when needed, the weighted sums the label-smoothing or probability terms use); sweep 2 puts
 * {@code exp(x_c - m)} in a chunk-local double buffer (one row, or one block of positions) and sums
 * it in double, giving {@code lse = m + log(sum)}, from which the loss follows; when the gradient is
 * wanted, sweep 3 writes it once from the buffer. One exp per logit, no softmax tensor, nothing
 * recomputed. With S = 1 a position is a contiguous row; with S > 1 a block of neighbouring positions
 * of one batch item is swept together, the class in the outer loop and the positions (contiguous in
 * memory) in the inner one, so nothing is transposed. (The GPU kernels are to do sweeps 1 and 2 as
 * one online max/logsumexp; on the CPU the max sweep costs under a tenth of the exp sweep.)
 *
 * <p>NOTE: the exps go to a double buffer, not straight into the float gradient: on JDK 17 a loop
 * storing {@code (float) Math.exp(..)} runs about 4x slower than one storing the double (measured),
 * and the double keeps the gradient's target element free of float cancellation.
 *
 * <pre>
 * class indices t, smoothing eps, weights w (ones when absent), W = sum_c w[c]:
 *   l = (1 - eps) w[t] (lse - x_t) + eps / C (W lse - sum_c w[c] x_c)         (0 where t == ignore_index)
 *   dl/dx_c = ((1 - eps) w[t] + eps W / C) softmax_c - (1 - eps) w[t] [c == t] - eps / C w[c]
 * probabilities p, q = (1 - eps) p + eps / C:
 *   l = lse sum_c w[c] q_c - sum_c w[c] q_c x_c
 *   dl/dx_c = softmax_c sum_j w[j] q_j - w[c] q_c
 * </pre>
 * softcap k (class indices): x is replaced by y = k tanh(x / k) in all of the above and the gradient row is
 * multiplied by 1 - tanh(x / k)^2; z-loss s (class indices): l += zf s lse^2 and dl/dx_c += zf 2 s lse
 * softmax_c, where zf = (sum of the targets' weights) / (count of positions not ignored) for a weighted mean
 * (so that dividing by the weight sum leaves the z part divided by the count, Liger-Kernel's convention)
 * and 1 otherwise.
 * NOTE: with either option on, the call takes the scalar loops, also where the SIMD path is enabled; with
 * softcap and K-dim (S > 1) the capped logits are one float copy of the input.
 * Each position's gradient is scaled by grad_output[i] (none), grad_output (sum), or grad_output over
 * the mean's denominator: the targets' weight sum (summed by the loss pass itself for a forward-only
 * call, by a sweep over the targets alone before it when the gradient is wanted; see
 * {@link ClassTargetsCpu}), or the number of positions for probabilities.
 */
public final class CrossEntropyLossCpu implements LossKernel<CrossEntropyLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    /** Input elements per chunk of work. */
    private static final long WORK = 1 << 18;
    /** At most this many positions are swept together when the class dimension is strided (K-dim). */
    static final int BLOCK = 256;
    /** Doubles of exp buffer a K-dim block may use: the block shrinks for wide class dimensions. */
    private static final int BLOCK_BUFFER = 1 << 15;

    @Override
    public void run(CrossEntropyLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        Pass pass = new Pass(p, args, gradOutput, out, grads[0]);
        CpuParallel.ChunkSum body = p.spatial() == 1 ? pass::rows : pass::blocks;
        // ---- SIMD hook (dev.jloss.backend.cpu.vector) ----
        if (VectorSupport.enabled() && !pass.extras) {
            body = p.spatial() == 1 ? pass::rowsVector : pass::blocksVector;
        }
        // ---- end SIMD hook ----
        if (pass.skip && pass.none && pass.o != null) {
            // no classes: every position's loss is an empty sum (its gradient has no elements)
            Arrays.fill(pass.o, 0f);
        }
        double sum = pass.skip ? 0 : CpuParallel.sum(p.positions(), pass.grain, p.classes(), body);
        if (!pass.none && pass.o != null) {
            double denominator = pass.chunkWeights != null ? ClassTargetsCpu.sumInOrder(pass.chunkWeights)
                    : pass.denominator;
            pass.o[0] = (float) (sum / denominator);
        }
    }

    /** Each thread's block-sum scratch of the SIMD rows, kept from call to call (a chunk uses it alone). */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's scratch, at least {@code n} floats (contents unspecified). */
    private static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) {
            s = new float[n];
            SCRATCH.set(s);
        }
        return s;
    }

    /** One call's arrays and constants; its methods are the loops over a chunk of positions. */
    private static final class Pass {
        final String fn;
        /** The logits, or with softcap and K-dim a capped copy of them. */
        final float[] x;
        /** The logits as given (the softcap's chain rule reads them). */
        final float[] xRaw;
        /** softcap k (0: off) and z-loss scale (0: off); extras: either is on (scalar loops only). */
        final double cap;
        final double zScale;
        final boolean extras;
        /** The z term's share of a mean's denominator: weight sum / count for a weighted mean, else 1. */
        final double zFactor;
        final ClassTargetsCpu targets;
        final float[] q;
        final float[] gx;
        final float[] go;
        final float[] o;
        final boolean none;
        final boolean noneOut;
        final boolean probabilities;
        final int classes;
        final int spatial;
        final long ignore;
        final float[] weight;
        /** The weights, all ones when there are none: for the loops over every class. */
        final float[] w;
        final double eps;
        /** eps / C and (1 - eps): the smoothing's spread and the one-hot (or probability) part. */
        final double spread;
        final double keep;
        /** sum_c w[c]. */
        final double weightTotal;
        /** Positions per chunk. */
        final long grain;
        /**
         * mean: the targets' weight sum (found before the loss pass when the gradient is wanted), or
         * the number of positions for probabilities; else 1.
         */
        final double denominator;
        /** A class-index mean without gradient: each chunk's weight sum, the denominator's partials. */
        final double[] chunkWeights;
        /** The upstream gradient of a reduced loss over {@code denominator}. */
        final double reducedGrad;
        /** Nothing to compute: probabilities over zero classes (every loss is an empty sum, 0). */
        final boolean skip;
        /** Positions per K-dim block. */
        final int block;

        Pass(CrossEntropyLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor grad) {
            fn = p.fn();
            xRaw = HostStorage.floats(args[0]);
            cap = p.softcap();
            zScale = p.lseSquareScale();
            extras = cap != 0 || zScale != 0;
            x = cap != 0 && p.spatial() > 1 ? capped(xRaw, cap) : xRaw;
            probabilities = p.probabilityTarget();
            targets = probabilities ? null : new ClassTargetsCpu(args[1]);
            q = probabilities ? HostStorage.floats(args[1]) : null;
            gx = grad == null ? null : HostStorage.floats(grad);
            go = gradOutput == null ? null : HostStorage.floats(gradOutput);
            o = out == null ? null : HostStorage.floats(out);
            none = p.reduction() == Reduction.NONE;
            noneOut = none && o != null;
            classes = (int) p.classes();
            spatial = (int) p.spatial();
            ignore = p.ignoreIndex();
            weight = p.weight();
            if (weight != null) {
                w = weight;
            } else {
                w = new float[classes];
                Arrays.fill(w, 1f);
            }
            eps = p.labelSmoothing();
            spread = eps / classes;
            keep = 1 - eps;
            double wt = 0;
            for (float v : w) {
                wt += v;
            }
            weightTotal = wt;
            int positions = (int) p.positions();
            grain = CpuParallel.grain(classes, WORK);
            boolean classMean = p.reduction() == Reduction.MEAN && !probabilities;
            boolean zCount = p.zNeedsCount();
            chunkWeights = classMean && gx == null && !zCount ? ClassTargetsCpu.chunkPartials(positions, grain) : null;
            if (p.reduction() != Reduction.MEAN) {
                denominator = 1;
            } else if (probabilities) {
                // PyTorch: NaN for an empty input, else the sum over the number of positions
                denominator = (long) positions * classes == 0 ? Double.NaN : positions;
            } else if (gx != null || zCount) {
                denominator = targets.weightSum(fn, positions, classes, weight, ignore, grain);
            } else {
                denominator = Double.NaN; // from chunkWeights once the loss pass is done
            }
            zFactor = zCount ? denominator / targets.weightSum(fn, positions, classes, null, ignore, grain) : 1;
            reducedGrad = none ? 0 : (go == null ? 1.0 : go[0]) / denominator;
            skip = probabilities && classes == 0;
            block = Math.max(1, Math.min(BLOCK, Math.min(spatial, BLOCK_BUFFER / Math.max(1, classes))));
        }

        /** The upstream gradient at position {@code i}, over the mean's denominator. */
        private double upstream(int i) {
            return none ? (go == null ? 1.0 : go[i]) : reducedGrad;
        }

        /** Positions [start, end) of an (N, C) input: row n is x[n * C, (n + 1) * C). */
        double rows(long start, long end) {
            double[] e = new double[classes];
            double acc = 0;
            if (probabilities) {
                for (int n = (int) start; n < end; n++) {
                    acc += probabilityRow(n, e);
                }
                return acc;
            }
            double weights = 0;
            float[] y = cap != 0 ? new float[classes] : null;
            double[] th = cap != 0 ? new double[classes] : null;
            for (int n = (int) start; n < end; n++) {
                if (cap != 0) {
                    capRow(n * classes, y, th);
                    acc += indexRow(n, e, y, 0, th);
                } else {
                    acc += indexRow(n, e, x, n * classes, null);
                }
                long t = targets.get(n);
                if (t != ignore) {
                    weights += ClassTargetsCpu.weightOf(weight, (int) t);
                }
            }
            if (chunkWeights != null) {
                chunkWeights[(int) (start / grain)] = weights;
            }
            return acc;
        }

        /** y[c] = k tanh(x[from + c] / k) and th[c] = tanh(x[from + c] / k): one row capped. */
        private void capRow(int from, float[] y, double[] th) {
            for (int c = 0; c < classes; c++) {
                double t = Math.tanh(xRaw[from + c] / cap);
                th[c] = t;
                y[c] = (float) (cap * t);
            }
        }

        /**
         * One row with a class-index target; {@code e} receives the row's exps. The row's logits are
         * xs[xb, xb + C) (x itself, or the capped row with th[c] = tanh(x_c / k), else th is null).
         */
        private double indexRow(int n, double[] e, float[] xs, int xb, double[] th) {
            long target = targets.get(n);
            if (target == ignore) {
                if (noneOut) {
                    o[n] = 0;
                }
                // the row's gradient is zero: written, as the gradient array may not come zero-filled
                if (gx != null) {
                    ignoredRow(x, gx, n * classes, classes);
                }
                return 0;
            }
            if (target < 0 || target >= classes) {
                throw ClassTargetsCpu.outOfBounds(fn, target, classes, ignore);
            }
            int t = (int) target;
            int base = n * classes;
            float m = max(xs, xb, classes);
            double s = exps(xs, xb, classes, m, e);
            double lse = m + Math.log(s);
            double wt = w[t];
            double loss = keep * wt * (lse - xs[xb + t]);
            if (eps > 0) {
                loss += spread * (weightTotal * lse - dot(w, xs, xb, classes));
            }
            loss += zFactor * zScale * lse * lse;
            if (noneOut) {
                o[n] = (float) loss;
            }
            if (gx != null) {
                double g = upstream(n);
                double hit = keep * wt;
                double a = g * (hit + spread * weightTotal + zFactor * 2 * zScale * lse) / s;
                double b = g * spread;
                if (eps > 0) {
                    gradMinusWeights(gx, base, classes, e, a, b, w);
                } else {
                    grad(gx, base, classes, e, a);
                }
                gx[base + t] = (float) (a * e[t] - g * hit - b * wt);
                if (th != null) {
                    for (int c = 0; c < classes; c++) {
                        gx[base + c] = (float) (gx[base + c] * (1 - th[c] * th[c]));
                    }
                }
            }
            return loss;
        }

        /** One row with a class-probability target. */
        private double probabilityRow(int n, double[] e) {
            int base = n * classes;
            float m = max(x, base, classes);
            double wq = 0;
            double wqx = 0;
            for (int c = 0; c < classes; c++) {
                double v = w[c] * (q[base + c] * keep + spread);
                wq += v;
                wqx += v * x[base + c];
            }
            double s = exps(x, base, classes, m, e);
            double lse = m + Math.log(s);
            double loss = lse * wq - wqx;
            if (noneOut) {
                o[n] = (float) loss;
            }
            if (gx != null) {
                double g = upstream(n);
                double a = g * wq / s;
                for (int c = 0; c < classes; c++) {
                    gx[base + c] = (float) (a * e[c] - g * w[c] * (q[base + c] * keep + spread));
                }
            }
            return loss;
        }

        // ---- SIMD hook (dev.jloss.backend.cpu.vector): the rows' sweeps as vector loops ----

        /**
         * {@link #rows} through {@link CrossEntropyVector}, with the same chunks, order of additions and
         * weight partials. Each row's exp sweep also finds the next row's maximum, so that row's first
         * read from memory overlaps this row's exps. A row with a non-finite max or exp sum (infinities,
         * NaNs) takes the scalar sweeps instead ({@link #indexRow}, {@link #probabilityRow}).
         */
        double rowsVector(long start, long end) {
            float[] nextMax = new float[1];
            float[] scratch = scratch(CrossEntropyVector.scratchLength(classes));
            boolean pending = false; // nextMax[0] holds row n's max
            double[] sums = probabilities ? new double[2] : null;
            double[] e = null;
            double acc = 0;
            double weights = 0;
            for (int n = (int) start; n < end; n++) {
                int t = -1;
                if (!probabilities) {
                    long target = targets.get(n);
                    if (target == ignore) {
                        if (noneOut) {
                            o[n] = 0;
                        }
                        if (gx != null) {
                            ignoredRow(x, gx, n * classes, classes);
                        }
                        pending = false;
                        continue;
                    }
                    if (target < 0 || target >= classes) {
                        throw ClassTargetsCpu.outOfBounds(fn, target, classes, ignore);
                    }
                    t = (int) target;
                    weights += ClassTargetsCpu.weightOf(weight, t);
                }
                int base = n * classes;
                float m = pending ? nextMax[0] : CrossEntropyVector.max(x, base, classes);
                int next = n + 1 < end ? base + classes : -1;
                double loss = rowVector(n, t, base, m, next, nextMax, scratch, sums);
                pending = next >= 0 && loss == loss;
                if (loss != loss) {
                    e = e == null ? new double[classes] : e;
                    loss = probabilities ? probabilityRow(n, e) : indexRow(n, e, x, n * classes, null);
                }
                acc += loss;
            }
            if (chunkWeights != null) {
                chunkWeights[(int) (start / grain)] = weights;
            }
            return acc;
        }

        /**
         * Row n (class index t, or t = -1 for probabilities), max m: the exps (into the gradient's row
         * when it is wanted) with {@code sRest = sum_{c != t} e_c}, the loss, and the gradient scaled
         * in place; the target's element as {@code -g hit sRest / s + b (W e_t / s - w_t)}, the
         * one-hot part without cancellation. Returns the loss, or NaN for a row the scalar sweeps must
         * take (a non-finite max or exp sum).
         */
        private double rowVector(int n, int t, int base, float m, int next, float[] nextMax, float[] scratch,
                                 double[] sums) {
            if (m == Float.NEGATIVE_INFINITY || m == Float.POSITIVE_INFINITY) {
                return Double.NaN;
            }
            if (probabilities) {
                CrossEntropyVector.probabilitySums(w, q, x, base, classes, keep, spread, sums);
            }
            double sRest = CrossEntropyVector.expSums(x, base, classes, m, t, gx, next, nextMax, scratch);
            double et = t < 0 ? 0 : VectorMath.exp(x[base + t] - m);
            double s = sRest + et;
            if (!(s < Double.POSITIVE_INFINITY)) {
                return Double.NaN;
            }
            double lse = m + Math.log(s);
            double loss;
            double wt = t < 0 ? 0 : w[t];
            if (probabilities) {
                loss = lse * sums[0] - sums[1];
            } else {
                loss = keep * wt * (lse - x[base + t]);
                if (eps > 0) {
                    loss += spread * (weightTotal * lse - CrossEntropyVector.dot(w, x, base, classes));
                }
            }
            if (noneOut) {
                o[n] = (float) loss;
            }
            if (gx != null) {
                double g = upstream(n);
                if (probabilities) {
                    CrossEntropyVector.probabilityGrad(gx, base, classes, (float) (g * sums[0] / s), (float) g, w, q,
                            (float) keep, (float) spread);
                } else {
                    double hit = keep * wt;
                    double a = g * (hit + spread * weightTotal) / s;
                    double b = g * spread;
                    if (eps > 0) {
                        CrossEntropyVector.scaleMinusWeights(gx, base, classes, (float) a, (float) b, w);
                    } else {
                        CrossEntropyVector.scale(gx, base, classes, (float) a);
                    }
                    gx[base + t] = (float) (-g * hit * sRest / s + b * (weightTotal * et / s - wt));
                }
            }
            return loss;
        }

        /** {@link #blocks} through {@link CrossEntropyVector}: the same blocks, chunks and additions. */
        double blocksVector(long start, long end) {
            Block b = new Block(block, classes);
            float[] mf = new float[block];
            float[] ef = new float[block * classes + VectorSupport.floatLanes()];
            float[] af = new float[block];
            float[] bf = new float[block];
            double acc = 0;
            int i = (int) start;
            while (i < end) {
                int n = i / spatial;
                int s0 = i - n * spatial;
                int len = Math.min(block, Math.min((int) end - i, spatial - s0));
                acc += blockVector(b, i, n * classes * spatial + s0, len, mf, ef, af, bf);
                i += len;
            }
            if (chunkWeights != null) {
                chunkWeights[(int) (start / grain)] = b.weights;
            }
            return acc;
        }

        /**
         * {@link #block} with the max, the exps (float, into ef) and their sums (double: each float exp
         * is exact in double, so {@code s - e_t} keeps its accuracy) and the gradient as vector loops
         * over the block's positions; a block with a non-finite max or exp sum takes {@link #block}.
         */
        private double blockVector(Block k, int pos, int base, int len, float[] mf, float[] ef, float[] af,
                                   float[] bf) {
            int S = spatial;
            int[] t = k.t;
            double[] s = k.s;
            double[] sum1 = k.sum1;
            double[] sum2 = k.sum2;
            boolean wantGrad = gx != null;
            if (!probabilities) {
                for (int j = 0; j < len; j++) {
                    long target = targets.get(pos + j);
                    if (target == ignore) {
                        t[j] = -1;
                    } else if (target < 0 || target >= classes) {
                        throw ClassTargetsCpu.outOfBounds(fn, target, classes, ignore);
                    } else {
                        t[j] = (int) target;
                    }
                }
            }
            CrossEntropyVector.columnMax(x, base, S, classes, len, mf);
            for (int j = 0; j < len; j++) {
                if (mf[j] == Float.NEGATIVE_INFINITY || mf[j] == Float.POSITIVE_INFINITY) {
                    return block(k, pos, base, len);
                }
            }
            CrossEntropyVector.columnExps(x, base, S, classes, len, mf, ef, s);
            for (int j = 0; j < len; j++) {
                if (!(s[j] < Double.POSITIVE_INFINITY)) {
                    return block(k, pos, base, len);
                }
            }
            Arrays.fill(sum1, 0, len, 0.0);
            Arrays.fill(sum2, 0, len, 0.0);
            if (probabilities) {
                // sum1 = sum_c w q, sum2 = sum_c w q x
                for (int c = 0; c < classes; c++) {
                    int off = base + c * S;
                    double wc = w[c];
                    for (int j = 0; j < len; j++) {
                        double v = wc * (q[off + j] * keep + spread);
                        sum1[j] += v;
                        sum2[j] += v * x[off + j];
                    }
                }
            } else if (eps > 0) {
                // sum2 = sum_c w x
                for (int c = 0; c < classes; c++) {
                    int off = base + c * S;
                    double wc = w[c];
                    for (int j = 0; j < len; j++) {
                        sum2[j] += wc * x[off + j];
                    }
                }
            }
            double acc = 0;
            double weights = k.weights;
            for (int j = 0; j < len; j++) {
                double lse = mf[j] + Math.log(s[j]);
                double loss;
                double g = wantGrad ? upstream(pos + j) : 0;
                if (probabilities) {
                    loss = lse * sum1[j] - sum2[j];
                    af[j] = (float) (g * sum1[j] / s[j]);
                    bf[j] = (float) g;
                } else if (t[j] < 0) {
                    loss = 0;
                    af[j] = 0;
                    bf[j] = 0;
                } else {
                    double wt = w[t[j]];
                    weights += ClassTargetsCpu.weightOf(weight, t[j]);
                    loss = keep * wt * (lse - x[base + t[j] * S + j]);
                    if (eps > 0) {
                        loss += spread * (weightTotal * lse - sum2[j]);
                    }
                    af[j] = (float) (g * (keep * wt + spread * weightTotal) / s[j]);
                    bf[j] = (float) (g * spread);
                }
                if (noneOut) {
                    o[pos + j] = (float) loss;
                }
                acc += loss;
            }
            k.weights = weights;
            if (!wantGrad) {
                return acc;
            }
            CrossEntropyVector.columnGrad(gx, base, S, classes, len, ef, af, bf, w, probabilities ? q : null,
                    (float) keep, (float) spread);
            if (!probabilities) {
                for (int j = 0; j < len; j++) {
                    if (t[j] >= 0) {
                        double wt = w[t[j]];
                        double g = upstream(pos + j);
                        double et = ef[t[j] * len + j];
                        double sRest = s[j] - et;
                        gx[base + t[j] * S + j] = (float) (-g * keep * wt * sRest / s[j]
                                + g * spread * (weightTotal * et / s[j] - wt));
                    }
                }
                ignoredPositions(x, gx, base, S, classes, t, len);
            }
            return acc;
        }

        // ---- end SIMD hook ----

        /**
         * Positions [start, end) of an (N, C, d1, ..., dk) input, in blocks of up to {@code block}
         * positions of one batch item: element (n, c, s) is x[(n * C + c) * S + s].
         */
        double blocks(long start, long end) {
            Block b = new Block(block, classes);
            double acc = 0;
            int i = (int) start;
            while (i < end) {
                int n = i / spatial;
                int s0 = i - n * spatial;
                int len = Math.min(block, Math.min((int) end - i, spatial - s0));
                acc += block(b, i, n * classes * spatial + s0, len);
                i += len;
            }
            if (chunkWeights != null) {
                chunkWeights[(int) (start / grain)] = b.weights;
            }
            return acc;
        }

        /** Per-position scratch of one chunk, reused block after block. */
        private static final class Block {
            final int[] t;
            final float[] m;
            /** m as double, for the exp loops. */
            final double[] md;
            final double[] s;
            final double[] lse;
            final double[] sum1;
            final double[] sum2;
            final double[] a;
            final double[] b;
            /** exp(x - m) of class c, position j at e[c * len + j]. */
            final double[] e;
            /** The chunk's weight sum so far, position after position. */
            double weights;

            Block(int block, int classes) {
                t = new int[block];
                m = new float[block];
                md = new double[block];
                s = new double[block];
                lse = new double[block];
                sum1 = new double[block];
                sum2 = new double[block];
                a = new double[block];
                b = new double[block];
                e = new double[block * classes];
            }
        }

        /**
         * {@code len} positions starting at position {@code pos}, whose class-0 element is x[base];
         * class c of the block's j-th position is x[base + c * S + j].
         */
        private double block(Block k, int pos, int base, int len) {
            int S = spatial;
            int[] t = k.t;
            float[] m = k.m;
            double[] md = k.md;
            double[] s = k.s;
            double[] lse = k.lse;
            double[] sum1 = k.sum1;
            double[] sum2 = k.sum2;
            double[] a = k.a;
            double[] b = k.b;
            double[] e = k.e;
            boolean wantGrad = gx != null;
            if (!probabilities) {
                for (int j = 0; j < len; j++) {
                    long target = targets.get(pos + j);
                    if (target == ignore) {
                        t[j] = -1;
                    } else if (target < 0 || target >= classes) {
                        throw ClassTargetsCpu.outOfBounds(fn, target, classes, ignore);
                    } else {
                        t[j] = (int) target;
                    }
                }
            }
            Arrays.fill(s, 0, len, 0.0);
            Arrays.fill(sum1, 0, len, 0.0);
            Arrays.fill(sum2, 0, len, 0.0);
            columnMax(x, base, S, classes, len, m);
            if (probabilities) {
                // sum1 = sum_c w q, sum2 = sum_c w q x
                for (int c = 0; c < classes; c++) {
                    int off = base + c * S;
                    double wc = w[c];
                    for (int j = 0; j < len; j++) {
                        double v = wc * (q[off + j] * keep + spread);
                        sum1[j] += v;
                        sum2[j] += v * x[off + j];
                    }
                }
            } else if (eps > 0) {
                // sum2 = sum_c w x
                for (int c = 0; c < classes; c++) {
                    int off = base + c * S;
                    double wc = w[c];
                    for (int j = 0; j < len; j++) {
                        sum2[j] += wc * x[off + j];
                    }
                }
            }
            for (int j = 0; j < len; j++) {
                md[j] = m[j];
            }
            for (int c = 0; c < classes; c++) {
                int off = base + c * S;
                int eo = c * len;
                for (int j = 0; j < len; j++) {
                    e[eo + j] = x[off + j] - md[j];
                }
            }
            expInPlace(e, classes * len);
            for (int c = 0; c < classes; c++) {
                int eo = c * len;
                for (int j = 0; j < len; j++) {
                    s[j] += e[eo + j];
                }
            }
            double acc = 0;
            double weights = k.weights;
            for (int j = 0; j < len; j++) {
                lse[j] = m[j] + Math.log(s[j]);
                double loss;
                double g = wantGrad ? upstream(pos + j) : 0;
                if (probabilities) {
                    loss = lse[j] * sum1[j] - sum2[j];
                    a[j] = g * sum1[j] / s[j];
                    b[j] = g;
                } else if (t[j] < 0) {
                    loss = 0;
                    a[j] = 0;
                    b[j] = 0;
                } else {
                    double wt = w[t[j]];
                    weights += ClassTargetsCpu.weightOf(weight, t[j]);
                    loss = keep * wt * (lse[j] - x[base + t[j] * S + j]);
                    if (eps > 0) {
                        loss += spread * (weightTotal * lse[j] - sum2[j]);
                    }
                    loss += zFactor * zScale * lse[j] * lse[j];
                    a[j] = g * (keep * wt + spread * weightTotal + zFactor * 2 * zScale * lse[j]) / s[j];
                    b[j] = g * spread;
                }
                if (noneOut) {
                    o[pos + j] = (float) loss;
                }
                acc += loss;
            }
            k.weights = weights;
            if (!wantGrad) {
                return acc;
            }
            for (int c = 0; c < classes; c++) {
                int off = base + c * S;
                int eo = c * len;
                double wc = w[c];
                if (probabilities) {
                    for (int j = 0; j < len; j++) {
                        gx[off + j] = (float) (a[j] * e[eo + j] - b[j] * wc * (q[off + j] * keep + spread));
                    }
                } else {
                    for (int j = 0; j < len; j++) {
                        gx[off + j] = (float) (a[j] * e[eo + j] - b[j] * wc);
                    }
                }
            }
            if (!probabilities) {
                for (int j = 0; j < len; j++) {
                    if (t[j] >= 0) {
                        double wt = w[t[j]];
                        double g = upstream(pos + j);
                        gx[base + t[j] * S + j] = (float) (a[j] * e[t[j] * len + j] - g * keep * wt - b[j] * wt);
                    }
                }
                ignoredPositions(x, gx, base, S, classes, t, len);
            }
            if (cap != 0) {
                for (int c = 0; c < classes; c++) {
                    int off = base + c * S;
                    for (int j = 0; j < len; j++) {
                        double th = Math.tanh(xRaw[off + j] / cap);
                        gx[off + j] = (float) (gx[off + j] * (1 - th * th));
                    }
                }
            }
            return acc;
        }
    }

    /** k tanh(x / k) of every element: the capped logits of a K-dim input. */
    static float[] capped(float[] x, double k) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) (k * Math.tanh(x[i] / k));
        }
        return y;
    }

    /** m[j] = max_c x[base + c * stride + j], for j < len. */
    static void columnMax(float[] x, int base, int stride, int classes, int len, float[] m) {
        Arrays.fill(m, 0, len, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < classes; c++) {
            int off = base + c * stride;
            for (int j = 0; j < len; j++) {
                m[j] = Math.max(m[j], x[off + j]);
            }
        }
    }

    /**
     * An ignored row's gradient: 0, or NaN where the row's log_softmax is NaN (a NaN or +inf logit, or
     * every logit -inf: a non-finite max). NOTE: PyTorch's log_softmax backward, grad - exp(out) sum(grad),
     * is 0 - NaN * 0 there.
     */
    static void ignoredRow(float[] x, float[] gx, int from, int len) {
        Arrays.fill(gx, from, from + len, Float.isFinite(max(x, from, len)) ? 0f : Float.NaN);
    }

    /** {@link #ignoredRow} for the ignored positions of a K-dim block (class stride S), after its gradient. */
    static void ignoredPositions(float[] x, float[] gx, int base, int S, int classes, int[] t, int len) {
        for (int j = 0; j < len; j++) {
            if (t[j] >= 0) {
                continue;
            }
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                m = Math.max(m, x[base + c * S + j]);
            }
            if (!Float.isFinite(m)) {
                for (int c = 0; c < classes; c++) {
                    gx[base + c * S + j] = Float.NaN;
                }
            }
        }
    }

    static float max(float[] x, int from, int len) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + len; i++) {
            m = Math.max(m, x[i]);
        }
        return m;
    }

    /**
     * e[i] = exp(x[from + i] - m) for i < len, returning their sum (in order, in double).
     * NOTE: the differences go to {@code e} first and exp runs over doubles: a loop that converts a
     * float and calls exp in the same iteration ran up to 2x slower on JDK 17 depending on how C2
     * allocated its registers (measured).
     */
    static double exps(float[] x, int from, int len, float m, double[] e) {
        double md = m;
        for (int i = 0; i < len; i++) {
            e[i] = x[from + i] - md;
        }
        double s = 0;
        for (int i = 0; i < len; i++) {
            double v = Math.exp(e[i]);
            e[i] = v;
            s += v;
        }
        return s;
    }

    static void expInPlace(double[] e, int len) {
        for (int i = 0; i < len; i++) {
            e[i] = Math.exp(e[i]);
        }
    }

    static double dot(float[] w, float[] x, int from, int len) {
        double s = 0;
        for (int c = 0; c < len; c++) {
            s += (double) w[c] * x[from + c];
        }
        return s;
    }

    /** g[from + c] = a e[c]. */
    static void grad(float[] g, int from, int len, double[] e, double a) {
        for (int c = 0; c < len; c++) {
            g[from + c] = (float) (a * e[c]);
        }
    }

    /** g[from + c] = a e[c] - b w[c]. */
    static void gradMinusWeights(float[] g, int from, int len, double[] e, double a, double b, float[] w) {
        for (int c = 0; c < len; c++) {
            g[from + c] = (float) (a * e[c] - b * w[c]);
        }
    }
}
