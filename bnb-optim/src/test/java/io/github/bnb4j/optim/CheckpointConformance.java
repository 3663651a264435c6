package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.optim.state.OptimizerStateDict;
import io.github.bnb4j.optim.state.StateDictKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints: save → load → save gives identical bytes; resuming gives exactly the parameters of an
 * uninterrupted run; a checkpoint of another kind, width, shape or parameter count is refused with a message
 * naming the mismatch, and the refused load changes nothing.
 */
abstract class CheckpointConformance {
    private static final int[] SIZES = {5000, 300, 1};
    private TensorScope scope;
    private GlobalOptimManager manager;

    @TempDir
    Path dir;

    abstract Device device();

    @BeforeEach
    void open() {
        scope = TensorScope.open();
        manager = new GlobalOptimManager();
    }

    @AfterEach
    void closeScope() {
        scope.close();
    }

    /** An optimizer factory over the given groups, using the test's manager. */
    record Setup(String name, BiFunction<List<List<Parameter>>, GlobalOptimManager, Optimizer> factory) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Setup> setups() {
        return Stream.of(
                new Setup("Adam8bit", (g, m) -> Adam8bit.builder().params(g.get(0)).params(g.get(1)).manager(m)
                        .minEightBitSize(256).build()),
                new Setup("Adam32bit", (g, m) -> Adam32bit.builder().params(g.get(0)).params(g.get(1)).manager(m)
                        .build()),
                new Setup("AdEMAMix8bit scheduled", (g, m) -> AdEMAMix8bit.builder().params(g.get(0)).params(g.get(1))
                        .tAlpha(7).tBeta3(9).manager(m).minEightBitSize(256).build()),
                new Setup("LAMB8bit pclip", (g, m) -> LAMB8bit.builder().params(g.get(0)).params(g.get(1))
                        .percentileClipping(5).manager(m).minEightBitSize(256).build()),
                new Setup("LARS", (g, m) -> LARS.builder().params(g.get(0))
                        .group(g.get(1), ParamOverride.builder().lr(0.05f).build()).lr(0.01f).momentum(0.9f)
                        .manager(m).build()),
                new Setup("PagedLion8bit", (g, m) -> PagedLion8bit.builder().params(g.get(0)).params(g.get(1))
                        .manager(m).minEightBitSize(256).build()),
                new Setup("RMSprop8bit", (g, m) -> RMSprop8bit.builder().params(g.get(0)).params(g.get(1))
                        .manager(m).minEightBitSize(256).build()),
                new Setup("SGD8bit", (g, m) -> SGD8bit.builder().params(g.get(0)).params(g.get(1)).lr(0.01f)
                        .momentum(0.9f).manager(m).minEightBitSize(256).build()),
                new Setup("Adagrad8bit", (g, m) -> Adagrad8bit.builder().params(g.get(0)).params(g.get(1))
                        .manager(m).minEightBitSize(256).build()));
    }

    /** Two groups: {5000, 300} elements, then {1}; the second tensor of group 0 gets no gradient at first. */
    private List<List<Parameter>> params(DType dtype) {
        List<Parameter> g0 = new ArrayList<>();
        List<Parameter> g1 = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            Parameter p = OptimTesting.param("p" + i, OptimTesting.gaussian(SIZES[i], 40 + i, 0.1), dtype, device());
            (i < 2 ? g0 : g1).add(p);
        }
        return List.of(g0, g1);
    }

    private static List<Parameter> flat(List<List<Parameter>> groups) {
        List<Parameter> all = new ArrayList<>();
        groups.forEach(all::addAll);
        return all;
    }

    /** Steps {@code from+1 .. to}; parameter 1 only has gradients from step 3 on. */
    private static void train(Optimizer optimizer, List<Parameter> params, int from, int to) {
        for (int step = from + 1; step <= to; step++) {
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                if (i == 1 && step < 3) {
                    continue;
                }
                OptimTesting.setGrad(p, OptimTesting.gaussian((int) p.value().numel(), 100L * step + i, 0.01));
            }
            optimizer.step();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void saveLoadSaveGivesIdenticalBytes(Setup setup) throws IOException {
        List<List<Parameter>> groups = params(DType.F32);
        try (Optimizer a = setup.factory().apply(groups, manager)) {
            manager.override(groups.get(0).get(0), ParamOverride.builder().eps(1e-6f).build());
            train(a, flat(groups), 0, 4);
            Path first = dir.resolve("first.safetensors");
            a.save(first);
            manager.initialize();
            List<List<Parameter>> other = params(DType.F32);
            try (Optimizer b = setup.factory().apply(other, manager)) {
                b.load(first);
                Path second = dir.resolve("second.safetensors");
                b.save(second);
                assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
                assertEquals(1e-6f, b.configFor(other.get(0).get(0)).eps(), "override restored");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void resumingEqualsAnUninterruptedRun(Setup setup) throws IOException {
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            List<List<Parameter>> straight = params(dtype);
            List<List<Parameter>> resumed = params(dtype);
            Path file = dir.resolve("mid-" + dtype + ".safetensors");
            try (Optimizer uninterrupted = setup.factory().apply(straight, manager)) {
                train(uninterrupted, flat(straight), 0, 8);
                try (Optimizer before = setup.factory().apply(resumed, manager)) {
                    train(before, flat(resumed), 0, 4);
                    before.save(file);
                }
                List<List<Parameter>> again = params(dtype);
                for (int i = 0; i < SIZES.length; i++) {
                    flat(again).get(i).value().copyFrom(flat(resumed).get(i).value());
                }
                try (Optimizer after = setup.factory().apply(again, manager)) {
                    after.load(file);
                    train(after, flat(again), 4, 8);
                    for (int i = 0; i < SIZES.length; i++) {
                        Parameter want = flat(straight).get(i);
                        Parameter got = flat(again).get(i);
                        OptimTesting.assertBitEqual(want.value().toFloatArray(), got.value().toFloatArray(),
                                setup + " " + dtype + " param " + i);
                        assertEquals(uninterrupted.state(want).step(), after.state(got).step());
                    }
                }
            }
        }
    }

    @Test
    void checkpointDescribesItself() {
        List<List<Parameter>> groups = params(DType.F32);
        try (Optimizer adam = Adam8bit.builder().params(groups.get(0)).params(groups.get(1)).lr(3e-4f)
                .minEightBitSize(256).manager(manager).build()) {
            manager.override(groups.get(0).get(1), ParamOverride.builder().optimBits(StateBits.THIRTY_TWO).build());
            train(adam, flat(groups), 0, 3);
            try (OptimizerStateDict sd = adam.stateDict()) {
                var m = sd.metadata();
                assertEquals(StateDictKeys.FORMAT_NAME, m.get(StateDictKeys.FORMAT));
                assertEquals("1", m.get(StateDictKeys.FORMAT_VERSION));
                assertEquals("Adam8bit", m.get(StateDictKeys.OPTIMIZER_CLASS));
                assertEquals("ADAM", m.get(StateDictKeys.KIND));
                assertEquals("ADAM", m.get(StateDictKeys.UPDATE_RULE));
                assertEquals("256", m.get(StateDictKeys.STATE_BLOCK_SIZE));
                assertEquals("2", m.get(StateDictKeys.GROUP_COUNT));
                assertEquals("3.0E-4", m.get(StateDictKeys.group(0, "lr")));
                assertEquals("8", m.get(StateDictKeys.group(1, "optim_bits")));
                assertEquals("[5000]", m.get(StateDictKeys.param(0, 0, "shape")));
                assertEquals("3", m.get(StateDictKeys.param(0, 0, "step")));
                assertEquals("8", m.get(StateDictKeys.param(0, 0, "state_bits")));
                assertEquals("1", m.get(StateDictKeys.param(0, 1, "step")));
                assertEquals("32", m.get(StateDictKeys.param(0, 1, "state_bits")));
                assertEquals("32", m.get(StateDictKeys.param(0, 1, "override.optim_bits")));
                assertEquals("32", m.get(StateDictKeys.param(1, 0, "state_bits")), "1 element < minEightBitSize");
                assertEquals(DType.U8, sd.tensors().get(StateDictKeys.param(0, 0, "state1")).dtype());
                assertArrayEquals(new long[] {20}, sd.tensors().get(StateDictKeys.param(0, 0, "absmax1")).shape());
                assertEquals(DType.F32, sd.tensors().get(StateDictKeys.param(0, 1, "state2")).dtype());
                assertNull(sd.tensors().get(StateDictKeys.param(0, 1, "qmap1")));
                assertNotNull(sd.tensors().get(StateDictKeys.param(0, 0, "qmap2")));
            }
        }
    }

    @Test
    void loadRestoresGroupHyperparameters() {
        List<List<Parameter>> groups = params(DType.F32);
        try (Optimizer adam = Adam8bit.builder().params(groups.get(0)).params(groups.get(1)).lr(3e-4f)
                .manager(manager).build()) {
            train(adam, flat(groups), 0, 2);
            try (OptimizerStateDict sd = adam.stateDict();
                    Optimizer other = Adam8bit.builder().params(params(DType.F32).get(0))
                            .params(params(DType.F32).get(1)).manager(manager).build()) {
                other.loadStateDict(sd);
                assertEquals(3e-4f, other.paramGroups().get(0).config().lr());
                assertEquals(2, other.state(other.paramGroups().get(0).params().get(0)).step());
            }
        }
    }

    /** A mismatched load throws, names the mismatch, and leaves the target exactly as it was. */
    private void assertRefused(Path checkpoint, Optimizer target, String... parts) throws IOException {
        Path before = dir.resolve("before.safetensors");
        Path after = dir.resolve("after.safetensors");
        target.save(before);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.load(checkpoint));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should contain '" + part + "'");
        }
        target.save(after);
        assertArrayEquals(Files.readAllBytes(before), Files.readAllBytes(after), "a refused load changed state");
    }

    @Test
    void refusesMismatchedCheckpoints() throws IOException {
        List<List<Parameter>> groups = params(DType.F32);
        Path adam8 = dir.resolve("adam8.safetensors");
        try (Optimizer source = Adam8bit.builder().params(groups.get(0)).params(groups.get(1)).manager(manager)
                .minEightBitSize(256).build()) {
            train(source, flat(groups), 0, 3);
            source.save(adam8);
        }
        List<List<Parameter>> same = params(DType.F32);
        try (Optimizer lion = Lion8bit.builder().params(same.get(0)).params(same.get(1)).manager(manager)
                .minEightBitSize(256).build()) {
            train(lion, flat(same), 0, 2);
            assertRefused(adam8, lion, "kind", "LION", "ADAM", "Adam8bit");
        }
        try (Optimizer adam32 = Adam32bit.builder().params(same.get(0)).params(same.get(1)).manager(manager)
                .build()) {
            train(adam32, flat(same), 0, 2);
            assertRefused(adam8, adam32, "optim_bits=32", "optim_bits=8");
        }
        List<List<Parameter>> reshaped = params(DType.F32);
        Parameter wide = OptimTesting.param("wide", new float[301], DType.F32, device());
        try (Optimizer adam = Adam8bit.builder().params(List.of(reshaped.get(0).get(0), wide))
                .params(reshaped.get(1)).manager(manager).minEightBitSize(256).build()) {
            train(adam, List.of(reshaped.get(0).get(0), wide, reshaped.get(1).get(0)), 0, 2);
            assertRefused(adam8, adam, "shape", "[301]", "[300]");
        }
        try (Optimizer fewer = Adam8bit.builder().params(List.of(reshaped.get(0).get(0))).params(reshaped.get(1))
                .manager(manager).minEightBitSize(256).build()) {
            assertRefused(adam8, fewer, "parameter count of group 0", "must be 1", "got 2");
        }
        try (Optimizer oneGroup = Adam8bit.builder().params(reshaped.get(0)).manager(manager).minEightBitSize(256)
                .build()) {
            assertRefused(adam8, oneGroup, "group count", "must be 1", "got 2");
        }
    }

    @Test
    void refusesFilesThatAreNotCheckpoints() throws IOException {
        Path plain = dir.resolve("plain.safetensors");
        new io.github.bnb4j.core.safetensors.SafetensorsWriter().metadata("format", "pt")
                .addFloats("w", new long[] {2}, new float[2]).write(plain);
        try (Adam adam = Adam.builder().params(params(DType.F32).get(0)).manager(manager).build()) {
            assertRefused(plain, adam, "format", StateDictKeys.FORMAT_NAME, "'pt'");
        }
    }

    /** A copy of {@code sd} (CPU tensors copied) with one metadata value or one tensor element replaced. */
    private static OptimizerStateDict mutated(OptimizerStateDict sd, String key, String value, String tensor,
            int index, float element) {
        Map<String, String> meta = new LinkedHashMap<>(sd.metadata());
        if (key != null) {
            meta.put(key, value);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        sd.tensors().forEach((name, t) -> {
            Tensor copy = TensorScope.detach(t.to(Device.cpu()));
            if (name.equals(tensor)) {
                copy.asByteBuffer().putFloat(index * Float.BYTES, element);
            }
            tensors.put(name, copy);
        });
        return OptimizerStateDict.of(meta, tensors);
    }

    /** Loading {@code bad} throws an IAE naming {@code parts}, and the target keeps its state byte for byte. */
    private void assertRefused(OptimizerStateDict bad, Optimizer target, String... parts) throws IOException {
        Path before = dir.resolve("before-range.safetensors");
        Path after = dir.resolve("after-range.safetensors");
        target.save(before);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(bad));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should contain '" + part + "'");
        }
        target.save(after);
        assertArrayEquals(Files.readAllBytes(before), Files.readAllBytes(after), "a refused load changed state");
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, -1f})
    void refusesOutOfRangeStateValues(float bad) throws IOException {
        List<List<Parameter>> groups = params(DType.F32);
        List<List<Parameter>> plain = params(DType.F32);
        try (Optimizer eight = Adam8bit.builder().params(groups.get(0)).params(groups.get(1)).manager(manager)
                .minEightBitSize(256).percentileClipping(50).build();
                Optimizer full = Adam32bit.builder().params(plain.get(0)).params(plain.get(1)).manager(manager)
                        .build()) {
            train(eight, flat(groups), 0, 3);
            train(full, flat(plain), 0, 3);
            String value = Float.toString(bad);
            try (OptimizerStateDict sd = eight.stateDict()) {
                for (String field : new String[] {"absmax1", "absmax2", "gnorm"}) {
                    String name = StateDictKeys.param(0, 0, field);
                    try (OptimizerStateDict broken = mutated(sd, null, null, name, 7, bad)) {
                        assertRefused(broken, eight, name, value, "index 7");
                    }
                }
            }
            try (OptimizerStateDict sd = full.stateDict()) {
                String v = StateDictKeys.param(0, 1, "state2"); // Adam's second moment: never negative
                try (OptimizerStateDict broken = mutated(sd, null, null, v, 299, bad)) {
                    assertRefused(broken, full, v, value, "index 299");
                }
                String m = StateDictKeys.param(1, 0, "state1"); // the first moment may be negative, not NaN or Inf
                try (OptimizerStateDict broken = mutated(sd, null, null, m, 0, bad)) {
                    if (bad < 0) {
                        full.loadStateDict(broken);
                        assertEquals(-1f, full.state(plain.get(1).get(0)).state1().toFloatArray()[0]);
                    } else {
                        assertRefused(broken, full, m, value);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "2147483647", "3000000000", "x"})
    void refusesStepOutOfRange(String step) throws IOException {
        List<List<Parameter>> groups = params(DType.F32);
        try (Optimizer adam = Adam8bit.builder().params(groups.get(0)).params(groups.get(1)).manager(manager)
                .minEightBitSize(256).build()) {
            train(adam, flat(groups), 0, 2);
            String key = StateDictKeys.param(0, 0, "step");
            try (OptimizerStateDict sd = adam.stateDict();
                    OptimizerStateDict bad = mutated(sd, key, step, null, 0, 0)) {
                assertRefused(bad, adam, "step", step);
            }
        }
    }

    @Test
    void theLastStepACounterHoldsIsTakenThenRefused() throws IOException {
        List<List<Parameter>> groups = params(DType.F32);
        try (Optimizer adam = Adam32bit.builder().params(groups.get(0)).params(groups.get(1)).manager(manager)
                .build()) {
            train(adam, flat(groups), 0, 3);
            String key = StateDictKeys.param(0, 0, "step");
            try (OptimizerStateDict sd = adam.stateDict();
                    OptimizerStateDict last = mutated(sd, key, Integer.toString(Integer.MAX_VALUE - 1), null, 0, 0)) {
                adam.loadStateDict(last);
            }
            Parameter p = groups.get(0).get(0);
            OptimTesting.setGrad(p, OptimTesting.gaussian(SIZES[0], 9, 0.01));
            adam.step();
            assertEquals(Integer.MAX_VALUE, adam.state(p).step());
            Path before = dir.resolve("full-before.safetensors");
            Path after = dir.resolve("full-after.safetensors");
            adam.save(before);
            float[] value = p.value().toFloatArray();
            IllegalStateException e = assertThrows(IllegalStateException.class, adam::step);
            assertTrue(e.getMessage().contains("'p0'") && e.getMessage().contains("2147483647"), e.getMessage());
            adam.save(after);
            assertArrayEquals(Files.readAllBytes(before), Files.readAllBytes(after), "a refused step changed state");
            OptimTesting.assertBitEqual(value, p.value().toFloatArray(), "parameter after a refused step");
        }
    }
}
