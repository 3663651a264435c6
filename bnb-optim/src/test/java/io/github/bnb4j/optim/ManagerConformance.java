package io.github.bnb4j.optim;

import io.github.bnb4j.core.testing.BackendConformance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.functional.optim.StateBits;
import org.junit.jupiter.api.Test;

/** Per-parameter overrides through {@link GlobalOptimManager} (upstream test_global_config and #1269). */
abstract class ManagerConformance extends BackendConformance {
    private static final int N = 4096;
    private Parameter param(String name, long seed) {
        return OptimTesting.param(name, OptimTesting.gaussian(N, seed, 0.1), DType.F32, device());
    }

    private static void step(Optimizer o, Parameter... ps) {
        for (Parameter p : ps) {
            OptimTesting.setGrad(p, OptimTesting.gaussian(N, 99, 0.01));
        }
        o.step();
    }

    @Test
    void overrideGivesOneParameterEightBitState() {
        GlobalOptimManager manager = new GlobalOptimManager();
        Parameter p1 = param("p1", 1);
        Parameter p2 = param("p2", 2);
        Parameter p3 = param("p3", 3);
        manager.override(p3, ParamOverride.builder().optimBits(StateBits.EIGHT).build());
        try (Adam adam = Adam.builder().params(List.of(p1, p2, p3)).manager(manager).build()) {
            step(adam, p1, p2, p3);
            assertEquals(DType.F32, adam.state(p1).state1().dtype());
            assertEquals(DType.F32, adam.state(p2).state1().dtype());
            assertEquals(DType.U8, adam.state(p3).state1().dtype());
            assertEquals(DType.U8, adam.state(p3).state2().dtype());
        }
    }

    @Test
    void registeredPositionsCarryOverToNewParameters() {
        GlobalOptimManager manager = new GlobalOptimManager();
        Parameter cpuP3 = param("p3", 3);
        manager.override(cpuP3, ParamOverride.builder().optimBits(StateBits.EIGHT).build());
        manager.registerParameters(List.of(param("p1", 1), param("p2", 2), cpuP3));
        // as upstream's .cuda(): new parameter objects in the same positions
        Parameter p1 = param("p1", 1);
        Parameter p3 = param("p3", 3);
        try (Adam adam = Adam.builder().params(List.of(p1, param("p2", 2), p3)).manager(manager).build()) {
            step(adam, p1, p3);
            assertEquals(DType.F32, adam.state(p1).state1().dtype());
            assertEquals(DType.U8, adam.state(p3).state1().dtype());
        }
    }

    @Test
    void overrideAfterRegisterApplies() {
        GlobalOptimManager manager = new GlobalOptimManager();
        Parameter p = param("p", 1);
        manager.registerParameters(List.of(p));
        manager.overrideConfig(p, "optim_bits", 8);
        try (Adam adam = Adam.builder().params(List.of(p)).optimBits(StateBits.THIRTY_TWO).manager(manager).build()) {
            step(adam, p);
            assertEquals(StateBits.EIGHT, adam.state(p).bits());
        }
    }

    @Test
    void overrideAfterCreatingTheOptimizerAppliesFromTheNextStep() {
        GlobalOptimManager manager = new GlobalOptimManager();
        Parameter p = param("p", 1);
        Parameter frozen = param("frozen", 2);
        try (Adam8bit adam = Adam8bit.builder().params(List.of(p, frozen)).manager(manager).build()) {
            step(adam, p, frozen);
            manager.overrideConfig(frozen, Map.of("lr", 0.0, "weight_decay", 0.0, "max_unorm", 0.5));
            float[] before = frozen.value().toFloatArray();
            step(adam, p, frozen);
            assertArrayEquals(before, frozen.value().toFloatArray(), "lr 0 leaves the parameter unchanged");
            assertNotNull(adam.state(frozen).unorm(), "max_unorm > 0 allocates the update-norm scratch");
            assertNull(adam.state(p).unorm());
            assertEquals(0f, adam.configFor(frozen).lr());
            assertEquals(1e-3f, adam.configFor(p).lr());
        }
    }

    @Test
    void processWideManagerAndExplicitManagersAreIndependent() {
        Parameter p = param("p", 1);
        GlobalOptimManager mine = new GlobalOptimManager();
        mine.override(p, ParamOverride.builder().optimBits(StateBits.EIGHT).build());
        try (Adam global = new Adam(List.of(p))) {
            assertEquals(GlobalOptimManager.getInstance(), global.manager());
            step(global, p);
            assertEquals(StateBits.THIRTY_TWO, global.state(p).bits());
        }
    }

    @Test
    void upstreamStringKeysMapToTypedOverrides() {
        Parameter p = param("p", 1);
        GlobalOptimManager manager = new GlobalOptimManager();
        manager.overrideConfig(p, "betas", "(0.8, 0.99)");
        manager.overrideConfig(p, Map.of("eps", 1e-6, "min_8bit_size", 16, "percentile_clipping", 5,
                "skip_zeros", true));
        ParamOverride o = manager.overrideFor(p, 0, 0);
        assertEquals(0.8f, o.beta1());
        assertEquals(0.99f, o.beta2());
        assertEquals(1e-6f, o.eps());
        assertEquals(16L, o.minEightBitSize());
        assertEquals(5, o.percentileClipping());
        assertTrue(o.skipZeros());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> manager.overrideConfig(p, "momentum", 0.9));
        assertTrue(e.getMessage().contains("\"momentum\"") && e.getMessage().contains("optim_bits"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> manager.overrideConfig(p, "optim_bits", 4));
        assertTrue(e.getMessage().contains("optimBits") && e.getMessage().contains("4"), e.getMessage());
        manager.clearOverride(p);
        assertTrue(manager.overrideFor(p, 0, 0).isEmpty());
    }
}
