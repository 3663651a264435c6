package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.optim.StateBits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every named class against upstream's constructor defaults (bitsandbytes spec §1.4). */
class DefaultsTest {
    private static final StateBits B32 = StateBits.THIRTY_TWO;
    private static final StateBits B8 = StateBits.EIGHT;
    private TensorScope scope;

    @BeforeEach
    void openScope() {
        scope = TensorScope.open();
    }

    @AfterEach
    void closeScope() {
        scope.close();
    }

    /** One class and what its defaults must be. */
    record Expect(String name, Function<List<Parameter>, Optimizer> make, OptimizerKind kind, boolean paged,
            StateBits bits, float lr, float beta1, float beta2, float eps, float weightDecay, float maxUnorm) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Stream<Expect> family(String f, List<Function<List<Parameter>, Optimizer>> ctors, String[] names,
            boolean[] paged, StateBits[] bits, OptimizerKind kind, float lr, float b1, float b2, float eps, float wd,
            float maxUnorm) {
        return Stream.iterate(0, i -> i < ctors.size(), i -> i + 1).map(i -> new Expect(names[i].replace("*", f),
                ctors.get(i), kind, paged[i], bits[i], lr, b1, b2, eps, wd, maxUnorm));
    }

    private static final String[] SIX = {"*", "*8bit", "*32bit", "Paged*", "Paged*8bit", "Paged*32bit"};
    private static final boolean[] SIX_PAGED = {false, false, false, true, true, true};
    private static final StateBits[] SIX_BITS = {B32, B8, B32, B32, B8, B32};
    private static final String[] THREE = {"*", "*8bit", "*32bit"};
    private static final boolean[] THREE_PAGED = {false, false, false};
    private static final StateBits[] THREE_BITS = {B32, B8, B32};

    static Stream<Expect> classes() {
        List<Function<List<Parameter>, Optimizer>> adam = List.of(Adam::new, Adam8bit::new, Adam32bit::new,
                PagedAdam::new, PagedAdam8bit::new, PagedAdam32bit::new);
        List<Function<List<Parameter>, Optimizer>> adamW = List.of(AdamW::new, AdamW8bit::new, AdamW32bit::new,
                PagedAdamW::new, PagedAdamW8bit::new, PagedAdamW32bit::new);
        List<Function<List<Parameter>, Optimizer>> adEMAMix = List.of(AdEMAMix::new, AdEMAMix8bit::new,
                AdEMAMix32bit::new, PagedAdEMAMix::new, PagedAdEMAMix8bit::new, PagedAdEMAMix32bit::new);
        List<Function<List<Parameter>, Optimizer>> lion = List.of(Lion::new, Lion8bit::new, Lion32bit::new,
                PagedLion::new, PagedLion8bit::new, PagedLion32bit::new);
        List<Function<List<Parameter>, Optimizer>> lamb = List.of(LAMB::new, LAMB8bit::new, LAMB32bit::new);
        List<Function<List<Parameter>, Optimizer>> lars = List.of(ps -> new LARS(ps, 0.1f, 0.9f),
                ps -> new LARS8bit(ps, 0.1f, 0.9f), ps -> new LARS32bit(ps, 0.1f, 0.9f));
        List<Function<List<Parameter>, Optimizer>> sgd = List.of(ps -> new SGD(ps, 0.1f, 0.9f),
                ps -> new SGD8bit(ps, 0.1f, 0.9f), ps -> new SGD32bit(ps, 0.1f, 0.9f));
        List<Function<List<Parameter>, Optimizer>> rmsprop = List.of(RMSprop::new, RMSprop8bit::new,
                RMSprop32bit::new);
        List<Function<List<Parameter>, Optimizer>> adagrad = List.of(Adagrad::new, Adagrad8bit::new,
                Adagrad32bit::new);
        return Stream.of(
                family("Adam", adam, SIX, SIX_PAGED, SIX_BITS, OptimizerKind.ADAM, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f,
                        0f),
                family("AdamW", adamW, SIX, SIX_PAGED, SIX_BITS, OptimizerKind.ADAMW, 1e-3f, 0.9f, 0.999f, 1e-8f,
                        1e-2f, 0f),
                family("AdEMAMix", adEMAMix, SIX, SIX_PAGED, SIX_BITS, OptimizerKind.ADEMAMIX, 1e-3f, 0.9f, 0.999f,
                        1e-8f, 1e-2f, 0f),
                family("Lion", lion, SIX, SIX_PAGED, SIX_BITS, OptimizerKind.LION, 1e-4f, 0.9f, 0.99f, 0f, 0f, 0f),
                family("LAMB", lamb, THREE, THREE_PAGED, THREE_BITS, OptimizerKind.LAMB, 1e-3f, 0.9f, 0.999f, 1e-8f,
                        0f, 1.0f),
                family("LARS", lars, THREE, THREE_PAGED, THREE_BITS, OptimizerKind.LARS, 0.1f, 0.9f, 0f, 0f, 0f,
                        0.02f),
                family("SGD", sgd, THREE, THREE_PAGED, THREE_BITS, OptimizerKind.SGD, 0.1f, 0.9f, 0f, 0f, 0f, 0f),
                family("RMSprop", rmsprop, THREE, THREE_PAGED, THREE_BITS, OptimizerKind.RMSPROP, 1e-2f, 0.99f, 0f,
                        1e-8f, 0f, 0f),
                family("Adagrad", adagrad, THREE, THREE_PAGED, THREE_BITS, OptimizerKind.ADAGRAD, 1e-2f, 0f, 0f,
                        1e-10f, 0f, 0f))
                .flatMap(s -> s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("classes")
    void hasUpstreamDefaults(Expect e) {
        Parameter p = OptimTesting.param("w", new float[4], DType.F32, Device.cpu());
        try (Optimizer o = e.make().apply(List.of(p))) {
            assertEquals(e.name(), o.getClass().getSimpleName());
            assertEquals(e.kind(), o.kind());
            assertEquals(e.paged(), o.isPaged());
            OptimConfig c = o.configFor(p);
            assertEquals(e.bits(), c.optimBits(), "optimBits");
            assertEquals(e.lr(), c.lr(), "lr");
            assertEquals(e.beta1(), c.beta1(), "beta1");
            assertEquals(e.beta2(), c.beta2(), "beta2");
            assertEquals(e.eps(), c.eps(), "eps");
            assertEquals(e.weightDecay(), c.weightDecay(), "weightDecay");
            assertEquals(e.maxUnorm(), c.maxUnorm(), "maxUnorm");
            assertEquals(4096, c.minEightBitSize(), "minEightBitSize");
            assertEquals(100, c.percentileClipping(), "percentileClipping");
            assertEquals(e.kind() == OptimizerKind.ADEMAMIX ? 0.9999f : 0f, c.beta3(), "beta3");
            assertEquals(e.kind() == OptimizerKind.ADEMAMIX ? 5f : 0f, c.alpha(), "alpha");
            assertEquals(0, c.tAlpha());
            assertEquals(0, c.tBeta3());
        }
    }
}
