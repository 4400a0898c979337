package dev.jloss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {

    @Test
    void cancellationThatADoubleSumLoses() {
        ExactSum s = new ExactSum();
        s.add(1e308);
        s.add(1.0);
        s.add(-1e308);
        assertEquals(1.0, s.doubleValue());
    }

    @Test
    void anyOrderAndSplitGivesTheCorrectlyRoundedSum() {
        Random r = new Random(7);
        List<Double> xs = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            double x = switch (i % 4) {
                case 0 -> r.nextGaussian();
                case 1 -> r.nextGaussian() * 1e20;
                case 2 -> r.nextGaussian() * 1e-300;
                default -> Double.MIN_VALUE * r.nextInt(1000);
            };
            xs.add(x);
        }
        BigDecimal exact = BigDecimal.ZERO;
        for (double x : xs) {
            exact = exact.add(new BigDecimal(x));
        }
        double expected = exact.doubleValue();
        for (int trial = 0; trial < 5; trial++) {
            Collections.shuffle(xs, r);
            ExactSum a = new ExactSum();
            ExactSum b = new ExactSum();
            int cut = r.nextInt(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                (i < cut ? a : b).add(xs.get(i));
            }
            b.merge(a);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(b.doubleValue()),
                    "trial " + trial + ": " + b.doubleValue() + " vs " + expected);
        }
    }

    @Test
    void subnormalAndNonFinite() {
        ExactSum s = new ExactSum();
        s.add(Double.MIN_VALUE);
        s.add(Double.MIN_VALUE);
        assertEquals(2 * Double.MIN_VALUE, s.doubleValue());
        s.add(Double.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, s.doubleValue());
        s.add(Double.NEGATIVE_INFINITY);
        assertEquals(Double.NaN, s.doubleValue());
        ExactSum big = new ExactSum();
        big.add(Double.MAX_VALUE);
        big.add(Double.MAX_VALUE);
        assertEquals(Double.POSITIVE_INFINITY, big.doubleValue());
        big.add(-Double.MAX_VALUE);
        assertEquals(Double.MAX_VALUE, big.doubleValue());
    }
}
