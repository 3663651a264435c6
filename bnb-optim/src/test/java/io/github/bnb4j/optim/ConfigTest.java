package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.functional.optim.StateBits;
import org.junit.jupiter.api.Test;

/** The typed configuration: records, overrides, the string-key adapter and AdEMAMix's schedules. */
class ConfigTest {
    private static final OptimConfig ADAM = Defaults.ADAM;

    @Test
    void overrideReplacesOnlyWhatItSets() {
        ParamOverride o = ParamOverride.builder().lr(0.5f).optimBits(StateBits.EIGHT).build();
        OptimConfig c = o.applyTo(ADAM);
        assertEquals(0.5f, c.lr());
        assertEquals(StateBits.EIGHT, c.optimBits());
        assertEquals(ADAM.beta1(), c.beta1());
        assertEquals(ADAM.eps(), c.eps());
        assertEquals(ADAM, ParamOverride.NONE.applyTo(ADAM));
    }

    @Test
    void laterOverrideWinsComponentByComponent() {
        ParamOverride first = ParamOverride.builder().lr(0.5f).eps(1e-6f).build();
        ParamOverride second = ParamOverride.builder().lr(0.1f).skipZeros(true).build();
        ParamOverride merged = first.merge(second);
        assertEquals(0.1f, merged.lr());
        assertEquals(1e-6f, merged.eps());
        assertEquals(true, merged.skipZeros());
    }

    @Test
    void upstreamKeysMapToTypedComponents() {
        ParamOverride o = ParamOverride.fromUpstream(Map.of("lr", 0.01, "betas", List.of(0.8, 0.9, 0.95),
                "weight_decay", 0.1f, "optim_bits", 32, "max_unorm", 1, "t_alpha", 100, "t_beta3", "200",
                "alpha", 4.0, "skip_zeros", "true"));
        assertEquals(0.01f, o.lr());
        assertEquals(0.8f, o.beta1());
        assertEquals(0.9f, o.beta2());
        assertEquals(0.95f, o.beta3());
        assertEquals(0.1f, o.weightDecay());
        assertEquals(StateBits.THIRTY_TWO, o.optimBits());
        assertEquals(1f, o.maxUnorm());
        assertEquals(100, o.tAlpha());
        assertEquals(200, o.tBeta3());
        assertEquals(4f, o.alpha());
        assertTrue(o.skipZeros());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParamOverride.fromUpstream(Map.of("t_alpha", 1.5)));
        assertTrue(e.getMessage().contains("t_alpha") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ParamOverride.fromUpstream(Map.of("betas", "(0.9)")));
        assertTrue(e.getMessage().contains("betas"), e.getMessage());
    }

    @Test
    void configRejectsOutOfRangeValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OptimConfig(1e-3f, 0.9f, 0.999f, 0f, 0f, -1, 0, 1e-8f, 0f, StateBits.EIGHT, 4096, 0f, 100,
                        false));
        assertTrue(e.getMessage().contains("tAlpha") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ADAM.withLr(Float.NaN));
        assertTrue(e.getMessage().contains("lr") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void stateWidthFollowsMinEightBitSize() {
        OptimConfig c = ParamOverride.builder().optimBits(StateBits.EIGHT).build().applyTo(ADAM);
        assertEquals(StateBits.THIRTY_TWO, c.stateBitsFor(4095));
        assertEquals(StateBits.EIGHT, c.stateBitsFor(4096));
    }

    @Test
    void adEMAMixSchedulesFollowTheirClosedForms() {
        assertEquals(5f, AdEMAMixSchedule.alpha(5f, 0, 3));
        assertEquals(1.5f, AdEMAMixSchedule.alpha(5f, 10, 3));
        assertEquals(5f, AdEMAMixSchedule.alpha(5f, 10, 30));
        assertEquals(0.9999f, AdEMAMixSchedule.beta3(0.9f, 0.9999f, 0, 3));
        // at s = 0 the slow EMA starts as fast as the fast one; at s = 1 it reaches beta3
        assertEquals(0.9f, AdEMAMixSchedule.beta3(0.9f, 0.9999f, 100, 0), 1e-6f);
        assertEquals(0.9999f, AdEMAMixSchedule.beta3(0.9f, 0.9999f, 100, 100), 1e-7f);
        // half-life interpolates linearly: ln(0.5)/ln(beta3_t) = (1 - s)·ln(0.5)/ln(b1) + s·ln(0.5)/ln(b3)
        double s = 0.25;
        double halfLife = (1 - s) * Math.log(0.5) / Math.log(0.9) + s * Math.log(0.5) / Math.log(0.9999);
        assertEquals(Math.pow(0.5, 1 / halfLife), AdEMAMixSchedule.beta3(0.9f, 0.9999f, 100, 25), 1e-6);
    }
}
