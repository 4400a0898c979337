package dev.jloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossSpec;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The registry is the loss classes' own declarations: every registered loss builds from default
 * options into an object whose spec is the registered one, names are unique in both spellings, and
 * every part of the declaration the rest of jloss derives from (arguments, differentiability, roles,
 * batching, the mean) is present. A loss added to {@link Losses} without a complete spec fails here.
 */
class LossesTest {

    @Test
    void everyRegisteredLossIsDeclaredOnce() {
        Set<String> names = new HashSet<>();
        assertEquals(21, Losses.all().size(), "the 21 losses of torch.nn this library promises");
        for (Losses.Entry e : Losses.all()) {
            LossSpec s = e.spec();
            assertTrue(names.add(s.className().toLowerCase()), "duplicate " + s.className());
            assertTrue(names.add(s.functionalName().toLowerCase()), "duplicate " + s.functionalName());
            Loss loss = Losses.create(s.functionalName(), Map.of());
            assertSame(s, loss.spec(), s.className() + ": the object's spec is the registered one");
            assertEquals(s.className(), loss.getClass().getSimpleName(), "one name in every layer");
            assertEquals(s.className(), loss.name());
            assertEquals(s.functionalName(), loss.functionalName());
            assertEquals(s.argumentNames(), loss.argumentNames());
            assertTrue(s.argumentNames().containsAll(s.differentiableArguments()));
            assertTrue(!s.differentiableArguments().isEmpty(), s.className());
            assertTrue(s.batching() != null && s.mean() != null && s.batchedRank() >= 1, s.className());
            for (LossSpec.Arg a : s.args()) {
                assertTrue(a.role() != null, s.className() + "." + a.name());
            }
            assertSame(e, Losses.entry(s.className().toUpperCase()));
        }
    }

    /**
     * The losses whose PyTorch class has no legacy size_average/reduce reject them in one wording,
     * from an option map and from the builder alike; the others accept them.
     */
    @Test
    void lossesWithoutTheLegacyPairRejectItInOneWording() {
        Map<String, String> takes = Map.of(
                "CTCLoss", "blank, reduction and zero_infinity",
                "HuberLoss", "reduction and delta",
                "GaussianNLLLoss", "full, eps and reduction",
                "TripletMarginWithDistanceLoss", "distance_function, margin, swap and reduction");
        Map<String, Supplier<LossBuilder<?>>> builders = Map.of(
                "CTCLoss", CTCLoss::builder,
                "HuberLoss", HuberLoss::builder,
                "GaussianNLLLoss", GaussianNLLLoss::builder,
                "TripletMarginWithDistanceLoss", TripletMarginWithDistanceLoss::builder);
        for (Losses.Entry e : Losses.all()) {
            LossSpec s = e.spec();
            for (String option : new String[] {"size_average", "reduce"}) {
                if (!takes.containsKey(s.className())) {
                    Losses.create(s.className(), Map.of(option, true));
                    continue;
                }
                String want = s.functionalName() + ": unknown option '" + option + "' (" + s.className()
                        + " has no legacy size_average or reduce; it takes " + takes.get(s.className()) + ")";
                var fromMap = assertThrows(LossArgumentException.class,
                        () -> Losses.create(s.className(), Map.of(option, false)));
                assertEquals(want, fromMap.getMessage());
                LossBuilder<?> b = builders.get(s.className()).get();
                var fromBuilder = assertThrows(LossArgumentException.class,
                        () -> {
                            if (option.equals("reduce")) {
                                b.reduce(false);
                            } else {
                                b.sizeAverage(false);
                            }
                        });
                assertEquals(want, fromBuilder.getMessage());
            }
        }
    }

    @Test
    void unknownNameListsEveryLoss() {
        var ex = org.junit.jupiter.api.Assertions.assertThrows(dev.jloss.LossArgumentException.class,
                () -> Losses.create("no_such_loss", Map.of()));
        assertTrue(ex.getMessage().startsWith("unknown loss 'no_such_loss', expected one of L1Loss, MSELoss"),
                ex.getMessage());
    }
}
