package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CTCLossPlan;
import dev.jloss.plan.LossKernel;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * CTC loss on the CPU, PyTorch's native CPU algorithm in double: per sample the alpha recursion in
 * log space (the loss), then, when the gradient is wanted, the beta recursion backwards in time,
 * collecting {@code log sum_{s: l'_s = c} exp(alpha_t(s) + beta_t(s))} per class and turning each
 * finished time step into its gradient row at once. Samples are independent: they are split into
 * chunks of a size fixed by the problem's sizes and run in parallel; the reduced loss adds the
 * chunks' partial sums in chunk order, so results are bitwise deterministic.
 *
 * <p>Data checks happen as the data is read: for concatenated targets the serial prefix sum that
 * finds each sample's offset checks the target lengths and their total; each sample then checks its
 * input length, its target length (padded targets) and each label as it builds the extended target.
 *
 * <p>Memory per sample in flight: the alpha matrix {@code T' x (2L+1)} doubles when the gradient is
 * wanted (beta needs alpha at every step), two alpha rows otherwise; two beta rows and one row of C.
 */
public final class CTCLossCpu implements LossKernel<CTCLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    /** Work units (recursion cells, gradient entries) per parallel chunk. */
    private static final long CHUNK_WORK = 1 << 15;
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;
    /** Whether samples try the scaled recursions first; tests turn it off to compare with the log path. */
    static volatile boolean scaledFirst = true;
    /** Samples the scaled recursions completed (tests read it to know which path ran). */
    static final LongAdder SCALED_SAMPLES = new LongAdder();

    @Override
    public void run(CTCLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        int batch = (int) p.batch();
        Tensor targetLengths = args[3];
        long[] offsets = p.concatenated() ? concatenatedOffsets(p, targetLengths) : null;
        boolean wantGrad = grads.length > 0 && grads[0] != null;
        Sample task = new Sample(p, args, offsets, gradOutput == null ? null : HostStorage.floats(gradOutput),
                out == null ? null : HostStorage.floats(out), wantGrad ? HostStorage.floats(grads[0]) : null);

        // Per-sample cost from the sizes alone (never the data or the thread count): the recursion
        // cells over the average extended target, twice and plus a gradient row per step with the gradient.
        long meanTarget = p.batch() == 0 ? 0 : p.concatenated()
                ? (p.targetCapacity() + p.batch() - 1) / p.batch() : p.targetCapacity();
        long cells = p.maxTime() * (2 * meanTarget + 1);
        long cost = wantGrad ? 2 * cells + p.maxTime() * p.classes() : cells;
        double total = CpuParallel.sum(batch, CpuParallel.grain(cost, CHUNK_WORK), cost, task::range);
        if (out != null && p.reduction() != Reduction.NONE) {
            HostStorage.floats(out)[0] = (float) (p.reduction() == Reduction.MEAN ? total / batch : total);
        }
    }

    /**
     * Where each sample's labels start in concatenated targets: the prefix sums of the target lengths,
     * which must be non-negative and add up to the targets' length.
     */
    private static long[] concatenatedOffsets(CTCLossPlan p, Tensor targetLengths) {
        long[] l64 = HostStorage.longs(targetLengths);
        int[] l32 = HostStorage.ints(targetLengths);
        long[] offsets = new long[(int) p.batch()];
        long sum = 0;
        boolean overflow = false;
        for (int b = 0; b < offsets.length; b++) {
            long len = l64 != null ? l64[b] : l32[b];
            if (len < 0) {
                throw p.negativeTargetLengthError(b, len);
            }
            offsets[b] = sum;
            if (len > Long.MAX_VALUE - sum) {
                overflow = true;
            } else {
                sum += len;
            }
        }
        if (overflow || sum != p.targetCapacity()) {
            throw p.targetSumError(overflow, sum);
        }
        return offsets;
    }

    /** The per-sample work: read-only inputs and outputs shared by all chunks. */
    private static final class Sample {
        final CTCLossPlan p;
        final float[] lp;
        final long[] target64;
        final int[] target32;
        final float[] targetF;
        final long[] inLen64;
        final int[] inLen32;
        final long[] tgLen64;
        final int[] tgLen32;
        final long[] offsets;
        final float[] gradOut;
        final float[] out;
        final float[] grad;
        final int batch;
        final int classes;
        final int blank;

        Sample(CTCLossPlan p, Tensor[] args, long[] offsets, float[] gradOut, float[] out, float[] grad) {
            this.p = p;
            this.lp = HostStorage.floats(args[0]);
            this.target64 = HostStorage.longs(args[1]);
            this.target32 = HostStorage.ints(args[1]);
            this.targetF = target64 == null && target32 == null ? HostStorage.floats(args[1]) : null;
            this.inLen64 = HostStorage.longs(args[2]);
            this.inLen32 = HostStorage.ints(args[2]);
            this.tgLen64 = HostStorage.longs(args[3]);
            this.tgLen32 = HostStorage.ints(args[3]);
            this.offsets = offsets;
            this.gradOut = gradOut;
            this.out = out;
            this.grad = grad;
            this.batch = (int) p.batch();
            this.classes = (int) p.classes();
            this.blank = (int) p.blank();
        }

        /** Samples {@code [start, end)}; returns their contribution to a reduced loss. */
        double range(long start, long end) {
            double sum = 0;
            for (int b = (int) start; b < end; b++) {
                sum += sample(b);
            }
            return sum;
        }

        /** log_probs[t, b, c]. */
        private float logProb(int t, int b, int c) {
            return lp[(int) (((long) t * batch + b) * classes + c)];
        }

        private double sample(int b) {
            long inputLength = inLen64 != null ? inLen64[b] : inLen32[b];
            if (inputLength < 0 || inputLength > p.maxTime()) {
                throw p.inputLengthError(b, inputLength);
            }
            long targetLength = tgLen64 != null ? tgLen64[b] : tgLen32[b];
            if (!p.concatenated() && (targetLength < 0 || targetLength > p.targetCapacity())) {
                throw p.paddedTargetLengthError(b, targetLength);
            }
            long cells = (grad != null ? inputLength : 2) * (2 * targetLength + 1);
            if (cells > Integer.MAX_VALUE - 8) {
                throw p.tooManyAlphaCells(b, cells, inputLength, targetLength);
            }
            int frames = (int) inputLength;
            int[] ext = extendedTarget(b, (int) targetLength);

            double divisor = Math.max(targetLength, 1);
            double gr = grad == null ? 0 : switch (p.reduction()) {
                case NONE -> gradOut == null ? 1 : gradOut[b];
                case SUM -> gradOut == null ? 1 : gradOut[0];
                default -> (gradOut == null ? 1.0 : gradOut[0]) / batch / divisor;
            };
            // The scaled recursions first; NaN sends the sample to the log-space path (see scaled).
            double nll = frames == 0 || !scaledFirst ? Double.NaN : scaled(b, ext, frames, gr);
            if (Double.isNaN(nll)) {
                // Forward (eq. 6-8 of Graves et al. 2006), in PyTorch's operation order.
                double[] alpha = null;
                if (frames == 0) {
                    nll = -(targetLength == 0 ? 0.0 : NEG_INF);
                } else {
                    alpha = grad != null ? new double[frames * ext.length] : new double[2 * ext.length];
                    nll = -forward(b, ext, frames, alpha, grad != null);
                }
                boolean infinite = nll == Double.POSITIVE_INFINITY;
                if (grad != null && frames > 0 && !(p.zeroInfinity() && infinite)) {
                    backward(b, ext, frames, alpha, nll, gr);
                }
            }
            boolean infinite = nll == Double.POSITIVE_INFINITY;
            double loss = p.zeroInfinity() && infinite ? 0 : nll;
            if (out != null && p.reduction() == Reduction.NONE) {
                out[b] = (float) loss;
            }
            if (grad != null) {
                // every gradient row the recursion did not write: steps past the input length, or all of
                // them (no steps, or zero_infinity dropped the sample); the gradient array may not be zeroed
                int written = frames > 0 && !(p.zeroInfinity() && infinite) ? frames : 0;
                for (long t = written; t < p.maxTime(); t++) {
                    int base = (int) ((t * batch + b) * classes);
                    Arrays.fill(grad, base, base + classes, 0f);
                }
            }
            return p.reduction() == Reduction.MEAN ? loss / divisor : loss;
        }

        /**
         * The sample's loss (and, when the gradient is wanted, its gradient rows {@code t < frames}) by
         * the scaled recursions of Rabiner and of Graves et al. 2006 (sec. 4.1) in probability space:
         * {@code y_t(c) = exp(log_probs[t, b, c])}, {@code alpha'_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1)
         * [+ alpha_{t-1}(s-2)]) y_t(l'_s)}, each step divided by its sum C_t, {@code log p = sum_t log C_t
         * + log(alpha_T(S) + alpha_T(S-1))}; beta likewise backwards, normalised by its own sums. The
         * gradient needs no scale factors: with {@code Z_t = sum_s alpha_t(s) beta_t(s) / y_t(l'_s)}
         * (which is p over the two scales), {@code grad[t, c] = (y_t(c) - sum_{l'_s = c} alpha_t(s)
         * beta_t(s) / (Z_t y_t(c))) g}, PyTorch's {@code exp(lp) - exp(lcab + nll - lp)} term for term.
         * One exp per (time step, class) instead of two or three exps and a log per lattice cell: the
         * CPU's CTC was bound by those (about 3x PyTorch's time at T=200, C=60, S=50).
         *
         * <p>It is exact to double rounding or it declines: every value kept is a normal double (one
         * that underflows, or would, is never rounded to zero), so a state's probability relative to
         * the step's is never lost; a log-probability that is not finite or beyond +-700 (its exp not a
         * normal double), a step whose states all vanish (p = 0, the infinite loss), or an alpha-beta
         * product that underflows by more than 1e-20 of Z_t, return NaN, and the sample takes the
         * log-space recursions (PyTorch's operation order, its non-finite cases included). Those are
         * the degenerate inputs; a trained model's confident outputs (log-probabilities of -50 and
         * below) make the states' ratios underflow within a few steps and also take the log path.
         *
         * @param gr the upstream gradient factor of this sample (unused without a gradient)
         * @return -log p, or NaN where the log-space path must run
         */
        private double scaled(int b, int[] ext, int frames, double gr) {
            int width = ext.length;
            boolean wantGrad = grad != null;
            int[] used = distinct(ext);
            // y_t(c): every class with the gradient (its rows need them all), else the extended target's
            double[] y = new double[frames * classes];
            for (int t = 0; t < frames; t++) {
                int base = (int) (((long) t * batch + b) * classes);
                int row = t * classes;
                if (wantGrad) {
                    for (int c = 0; c < classes; c++) {
                        float l = lp[base + c];
                        if (!(Math.abs(l) <= 700f)) {
                            return Double.NaN;
                        }
                        y[row + c] = Math.exp(l);
                    }
                } else {
                    for (int c : used) {
                        float l = lp[base + c];
                        if (!(Math.abs(l) <= 700f)) {
                            return Double.NaN;
                        }
                        y[row + c] = Math.exp(l);
                    }
                }
            }
            double[] a = new double[(wantGrad ? frames : 2) * width];
            a[0] = y[blank];
            if (width > 1) {
                a[1] = y[ext[1]];
            }
            double logA = normalise(a, 0, width);
            if (Double.isNaN(logA)) {
                return Double.NaN;
            }
            for (int t = 1; t < frames; t++) {
                int prev = (wantGrad ? t - 1 : (t - 1) & 1) * width;
                int cur = (wantGrad ? t : t & 1) * width;
                int row = t * classes;
                for (int s = 0; s < width; s++) {
                    double v = a[prev + s];
                    if (s > 0) {
                        v += a[prev + s - 1];
                    }
                    if (s > 1 && ext[s - 2] != ext[s]) {
                        v += a[prev + s - 2];
                    }
                    double w = v * y[row + ext[s]];
                    if (v != 0 && !(w >= Double.MIN_NORMAL)) {
                        return Double.NaN;  // underflow: the log path keeps it
                    }
                    a[cur + s] = w;
                }
                double logC = normalise(a, cur, width);
                if (Double.isNaN(logC)) {
                    return Double.NaN;
                }
                logA += logC;
            }
            int last = (wantGrad ? frames - 1 : (frames - 1) & 1) * width;
            double end = a[last + width - 1] + (width > 1 ? a[last + width - 2] : 0);
            if (!(end > 0)) {
                return Double.NaN;
            }
            double nll = -(logA + Math.log(end));
            if (wantGrad && !scaledBackward(b, ext, frames, a, y, used, gr)) {
                return Double.NaN;
            }
            SCALED_SAMPLES.increment();
            return nll;
        }

        /** The beta recursion and the gradient rows of {@link #scaled}; false where it declines. */
        private boolean scaledBackward(int b, int[] ext, int frames, double[] a, double[] y, int[] used, double gr) {
            int width = ext.length;
            int top = width - 1;
            double[] next = new double[width];
            double[] cur = new double[width];
            double[] acc = new double[classes];
            int t = frames - 1;
            next[top] = y[t * classes + blank];
            if (width > 1) {
                next[top - 1] = y[t * classes + ext[top - 1]];
            }
            if (Double.isNaN(normalise(next, 0, width)) || !scaledGradientRow(b, t, ext, a, next, y, used, acc, gr)) {
                return false;
            }
            for (t = frames - 2; t >= 0; t--) {
                int row = t * classes;
                for (int s = top; s >= 0; s--) {
                    double v = next[s];
                    if (s < top) {
                        v += next[s + 1];
                    }
                    if (s < top - 1 && ext[s + 2] != ext[s]) {
                        v += next[s + 2];
                    }
                    double w = v * y[row + ext[s]];
                    if (v != 0 && !(w >= Double.MIN_NORMAL)) {
                        return false;
                    }
                    cur[s] = w;
                }
                if (Double.isNaN(normalise(cur, 0, width)) || !scaledGradientRow(b, t, ext, a, cur, y, used, acc, gr)) {
                    return false;
                }
                double[] swap = next;
                next = cur;
                cur = swap;
            }
            return true;
        }

        /** Gradient row t from the scaled alpha (row t of {@code a}) and beta; false where it declines. */
        private boolean scaledGradientRow(int b, int t, int[] ext, double[] a, double[] beta, double[] y, int[] used,
                                          double[] acc, double gr) {
            int width = ext.length;
            int row = t * classes;
            for (int c : used) {
                acc[c] = 0;
            }
            double lostY = Double.POSITIVE_INFINITY;  // the smallest y_t(l'_s) of an underflowed product
            for (int s = 0; s < width; s++) {
                double al = a[t * width + s];
                double be = beta[s];
                double ab = al * be;
                if (al != 0 && be != 0 && !(ab >= Double.MIN_NORMAL)) {
                    lostY = Math.min(lostY, y[row + ext[s]]);
                }
                acc[ext[s]] += ab;
            }
            double z = 0;
            for (int c : used) {
                z += acc[c] / y[row + c];
            }
            // a product below MIN_NORMAL adds at most MIN_NORMAL / y to Z_t: within 1e-20 of it, or decline
            if (!(z > 0) || (lostY != Double.POSITIVE_INFINITY && !(z * lostY > 1e20 * Double.MIN_NORMAL))) {
                return false;
            }
            int base = (int) (((long) t * batch + b) * classes);
            for (int c = 0; c < classes; c++) {
                grad[base + c] = (float) (y[row + c] * gr);
            }
            for (int c : used) {
                double yc = y[row + c];
                grad[base + c] = (float) ((yc - acc[c] / (z * yc)) * gr);
            }
            return true;
        }

        /**
         * Divides {@code v[from, from + n)} by its sum and returns the sum's log; NaN where the sum is 0
         * or not finite, or a quotient would not be a normal double.
         */
        private static double normalise(double[] v, int from, int n) {
            double sum = 0;
            for (int i = from; i < from + n; i++) {
                sum += v[i];
            }
            if (!(sum > 0 && sum < Double.POSITIVE_INFINITY)) {
                return Double.NaN;
            }
            double inv = 1 / sum;
            for (int i = from; i < from + n; i++) {
                double q = v[i] * inv;
                if (v[i] != 0 && !(q >= Double.MIN_NORMAL)) {
                    return Double.NaN;
                }
                v[i] = q;
            }
            return Math.log(sum);
        }

        /** The distinct classes of the extended target (the blank first). */
        private int[] distinct(int[] ext) {
            int[] out = new int[Math.min(ext.length, classes)];
            int n = 0;
            for (int s = 0; s < ext.length; s++) {
                int c = ext[s];
                boolean seen = false;
                for (int i = 0; i < n && !seen; i++) {
                    seen = out[i] == c;
                }
                if (!seen) {
                    out[n++] = c;
                }
            }
            return Arrays.copyOf(out, n);
        }

        /** l': blank, l_1, blank, ..., l_L, blank; each label checked as it is read. */
        private int[] extendedTarget(int b, int targetLength) {
            int[] ext = new int[2 * targetLength + 1];
            long base = p.concatenated() ? offsets[b] : (long) b * p.targetCapacity();
            ext[0] = blank;
            for (int j = 0; j < targetLength; j++) {
                int k = (int) (base + j);
                long label;
                if (target64 != null) {
                    label = target64[k];
                } else if (target32 != null) {
                    label = target32[k];
                } else {
                    float f = targetF[k];
                    label = Float.isFinite(f) ? (long) f : -1;  // PyTorch truncates float targets to int64
                }
                if (label < 0 || label >= classes || label == blank) {
                    String value = targetF != null ? String.valueOf(targetF[k]) : String.valueOf(label);
                    throw p.labelError(b, j, k, label, value);
                }
                ext[2 * j + 1] = (int) label;
                ext[2 * j + 2] = blank;
            }
            return ext;
        }

        /**
         * alpha_t(s) = log(exp(a1 - m) + exp(a2 - m) + exp(a3 - m)) + m + y_t(l'_s), with a1 = alpha_{t-1}(s),
         * a2 = alpha_{t-1}(s-1), a3 = alpha_{t-1}(s-2) where l'_s != l'_{s-2}, m their maximum (0 if all -inf).
         * Keeps every row ({@code keepAll}, for the gradient) or two. Returns the log-likelihood.
         */
        private double forward(int b, int[] ext, int frames, double[] alpha, boolean keepAll) {
            int width = ext.length;
            Arrays.fill(alpha, 0, width, NEG_INF);
            alpha[0] = logProb(0, b, blank);
            if (width > 1) {
                alpha[1] = logProb(0, b, ext[1]);
            }
            for (int t = 1; t < frames; t++) {
                int prev = (keepAll ? t - 1 : (t - 1) & 1) * width;
                int cur = (keepAll ? t : t & 1) * width;
                for (int s = 0; s < width; s++) {
                    double la1 = alpha[prev + s];
                    double lamax = la1;
                    double la2;
                    double la3;
                    if (s > 0) {
                        la2 = alpha[prev + s - 1];
                        if (la2 > lamax) {
                            lamax = la2;
                        }
                    } else {
                        la2 = NEG_INF;
                    }
                    if (s > 1 && ext[s - 2] != ext[s]) {
                        la3 = alpha[prev + s - 2];
                        if (la3 > lamax) {
                            lamax = la3;
                        }
                    } else {
                        la3 = NEG_INF;
                    }
                    if (lamax == NEG_INF) {
                        lamax = 0;  // NOTE: avoids -inf - -inf = NaN
                    }
                    alpha[cur + s] = Math.log(expDiff(la1, lamax) + expDiff(la2, lamax) + expDiff(la3, lamax))
                            + lamax + logProb(t, b, ext[s]);
                }
            }
            int last = (keepAll ? frames - 1 : (frames - 1) & 1) * width;
            double l1 = alpha[last + width - 1];
            double l2 = width > 1 ? alpha[last + width - 2] : NEG_INF;
            double m = l1 < l2 ? l2 : l1;  // std::max's NaN behaviour
            m = m == NEG_INF ? 0 : m;
            return Math.log(Math.exp(l1 - m) + Math.exp(l2 - m)) + m;
        }

        /**
         * beta_t(s) = log(exp(b1 - m) + exp(b2 - m) + exp(b3 - m)) + m + y_t(l'_s) with b1 = beta_{t+1}(s),
         * b2 = beta_{t+1}(s+1), b3 = beta_{t+1}(s+2) where l'_{s+2} != l'_s; per step the classes collect
         * lcab(c) = log sum_{l'_s = c} exp(alpha_t(s) + beta_t(s)) (s descending, as PyTorch), and the row
         * becomes grad[t, b, c] = (exp(y_t(c)) - exp(lcab(c) + nll - y_t(c))) * gr.
         */
        private void backward(int b, int[] ext, int frames, double[] alpha, double nll, double gr) {
            int width = ext.length;
            int top = width - 1;
            double[] next = new double[width];
            double[] cur = new double[width];
            double[] lcab = new double[classes];

            int t = frames - 1;
            Arrays.fill(next, NEG_INF);
            Arrays.fill(lcab, NEG_INF);
            int row = t * width;
            next[top] = logProb(t, b, blank);
            lcab[blank] = alpha[row + top] + next[top];
            if (width > 1) {
                // the last two states are a blank and a label, so distinct classes: no log-add needed
                int label = ext[top - 1];
                next[top - 1] = logProb(t, b, label);
                lcab[label] = alpha[row + top - 1] + next[top - 1];
            }
            gradientRow(b, t, lcab, nll, gr);

            for (t = frames - 2; t >= 0; t--) {
                Arrays.fill(lcab, NEG_INF);
                row = t * width;
                for (int s = top; s >= 0; s--) {
                    double lb1 = next[s];
                    double lbmax = lb1;
                    double lb2;
                    double lb3;
                    int label = ext[s];
                    if (s < top) {
                        lb2 = next[s + 1];
                        if (lb2 > lbmax) {
                            lbmax = lb2;
                        }
                    } else {
                        lb2 = NEG_INF;
                    }
                    if (s < top - 1 && ext[s + 2] != label) {
                        lb3 = next[s + 2];
                        if (lb3 > lbmax) {
                            lbmax = lb3;
                        }
                    } else {
                        lb3 = NEG_INF;
                    }
                    if (lbmax == NEG_INF) {
                        lbmax = 0;
                    }
                    double beta = Math.log(expDiff(lb1, lbmax) + expDiff(lb2, lbmax) + expDiff(lb3, lbmax))
                            + lbmax + logProb(t, b, label);
                    cur[s] = beta;
                    double logAlphaBeta = alpha[row + s] + beta;
                    double c = lcab[label];
                    if (c == NEG_INF) {
                        lcab[label] = logAlphaBeta;
                    } else {
                        double max = c < logAlphaBeta ? logAlphaBeta : c;
                        lcab[label] = Math.log(expDiff(c, max) + expDiff(logAlphaBeta, max)) + max;
                    }
                }
                gradientRow(b, t, lcab, nll, gr);
                double[] swap = next;
                next = cur;
                cur = swap;
            }
        }

        /**
         * {@code Math.exp(a - m)}, bitwise, without the exp where it is known: 1 for the maximum itself
         * (finite: exp(0)), 0 for a = -inf below a finite m. Saves one or two of a cell's three exps.
         */
        private static double expDiff(double a, double m) {
            if (a == m && m != Double.POSITIVE_INFINITY) {
                return 1.0;
            }
            if (a == NEG_INF && m != NEG_INF && m == m) {
                return 0.0;
            }
            return Math.exp(a - m);
        }

        private void gradientRow(int b, int t, double[] lcab, double nll, double gr) {
            int base = (int) (((long) t * batch + b) * classes);
            for (int c = 0; c < classes; c++) {
                double y = lp[base + c];
                grad[base + c] = (float) ((Math.exp(y) - Math.exp(lcab[c] + nll - y)) * gr);
            }
        }
    }
}
