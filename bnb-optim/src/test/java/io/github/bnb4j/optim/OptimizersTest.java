package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.functional.optim.StateBits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Optimizers#byName}: every bitsandbytes name of transformers' {@code OptimizerNames}. */
class OptimizersTest {
    /** transformers' bitsandbytes names (training_args.py, OptimizerNames) and what Trainer builds for each. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "adamw_bnb_8bit, AdamW8bit, ADAMW, 8, false",
        "adamw_8bit, AdamW8bit, ADAMW, 8, false",
        "paged_adamw_32bit, PagedAdamW32bit, ADAMW, 32, true",
        "paged_adamw_8bit, PagedAdamW8bit, ADAMW, 8, true",
        "lion_32bit, Lion32bit, LION, 32, false",
        "lion_8bit, Lion8bit, LION, 8, false",
        "paged_lion_32bit, PagedLion32bit, LION, 32, true",
        "paged_lion_8bit, PagedLion8bit, LION, 8, true",
        "rmsprop_bnb, RMSprop32bit, RMSPROP, 32, false",
        "rmsprop_bnb_32bit, RMSprop32bit, RMSPROP, 32, false",
        "rmsprop_bnb_8bit, RMSprop8bit, RMSPROP, 8, false",
        "ademamix, AdEMAMix32bit, ADEMAMIX, 32, false",
        "ademamix_8bit, AdEMAMix8bit, ADEMAMIX, 8, false",
        "paged_ademamix_32bit, PagedAdEMAMix32bit, ADEMAMIX, 32, true",
        "paged_ademamix_8bit, PagedAdEMAMix8bit, ADEMAMIX, 8, true"})
    void buildsWhatTrainerBuilds(String name, String className, OptimizerKind kind, int bits, boolean paged) {
        Parameter w = OptimTesting.param("w", OptimTesting.gaussian(5000, 1, 0.1), DType.F32, Device.cpu());
        ParamOverride settings = ParamOverride.builder().lr(2e-5f).weightDecay(0.03f).build();
        try (Optimizer opt = Optimizers.byName(name, List.of(w), settings)) {
            assertEquals(className, opt.getClass().getSimpleName());
            assertSame(kind, opt.kind());
            assertEquals(paged, opt.isPaged());
            assertEquals(2e-5f, opt.configFor(w).lr());
            assertEquals(0.03f, opt.configFor(w).weightDecay());
            OptimTesting.setGrad(w, OptimTesting.gaussian(5000, 2, 0.01));
            opt.step();
            assertEquals(StateBits.of(bits), opt.state(w).bits(), "5000 elements >= min_8bit_size 4096");
        } finally {
            w.close();
        }
    }

    @Test
    void acceptsExactlyTheListedNames() {
        assertEquals(Set.of("adamw_bnb_8bit", "adamw_8bit", "paged_adamw_32bit", "paged_adamw_8bit", "lion_32bit",
                "lion_8bit", "paged_lion_32bit", "paged_lion_8bit", "rmsprop_bnb", "rmsprop_bnb_32bit",
                "rmsprop_bnb_8bit", "ademamix", "ademamix_8bit", "paged_ademamix_32bit", "paged_ademamix_8bit"),
                Optimizers.names());
    }

    @Test
    void defaultsAreTheClasssOwn() {
        Parameter w = OptimTesting.param("w", new float[8], DType.F32, Device.cpu());
        try (Optimizer opt = Optimizers.byName("lion_8bit", List.of(w))) {
            OptimConfig c = opt.configFor(w);
            assertEquals(List.of(1e-4f, 0.9f, 0.99f, 0f), List.of(c.lr(), c.beta1(), c.beta2(), c.weightDecay()),
                    "bitsandbytes' Lion defaults");
            assertEquals(StateBits.EIGHT, c.optimBits());
        } finally {
            w.close();
        }
    }

    @Test
    void refusesUnknownNamesListingTheKnownOnes() {
        List<Parameter> ps = List.of(OptimTesting.param("w", new float[8], DType.F32, Device.cpu()));
        for (String bad : new String[] {"adamw_torch", "ADAMW_8BIT", "paged_adamw", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Optimizers.byName(bad, ps));
            assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
            Optimizers.names().forEach(n -> assertTrue(e.getMessage().contains(n), e.getMessage() + " lacks " + n));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Optimizers.byName(
                "adamw_8bit", ps, ParamOverride.builder().optimBits(StateBits.THIRTY_TWO).build()));
        assertTrue(e.getMessage().contains("optimBits") && e.getMessage().contains("32"), e.getMessage());
        assertEquals("name", assertThrows(NullPointerException.class, () -> Optimizers.byName(null, ps)).getMessage());
        assertEquals("params", assertThrows(NullPointerException.class,
                () -> Optimizers.byName("lion_8bit", null)).getMessage());
        assertEquals("settings", assertThrows(NullPointerException.class,
                () -> Optimizers.byName("lion_8bit", ps, null)).getMessage());
        ps.get(0).close();
    }
}
