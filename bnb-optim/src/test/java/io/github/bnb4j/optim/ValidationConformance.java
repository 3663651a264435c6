package io.github.bnb4j.optim;

import io.github.bnb4j.core.testing.BackendConformance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.optim.StateBits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input: every rejected argument gives a clear exception that names it and its value, and a step that
 * fails leaves every parameter and every state as it was.
 */
abstract class ValidationConformance extends BackendConformance {
    private Parameter param(String name, int n) {
        return OptimTesting.param(name, OptimTesting.gaussian(n, n, 0.1), DType.F32, device());
    }

    private static <T extends Throwable> void assertMessage(Class<T> type, Executable call, String... parts) {
        T e = assertThrows(type, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {-1e-3f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void rejectsBadLearningRate(float lr) {
        List<Parameter> ps = List.of(param("w", 8));
        String value = Float.toString(lr);
        assertMessage(IllegalArgumentException.class, () -> Adam8bit.builder().params(ps).lr(lr), "lr", value);
        assertMessage(IllegalArgumentException.class, () -> Lion.builder().params(ps).lr(lr), "lr", value);
        assertMessage(IllegalArgumentException.class, () -> SGD.builder().params(ps).lr(lr), "lr", value);
        assertMessage(IllegalArgumentException.class, () -> new SGD(ps, lr, 0.9f), "lr", value);
        assertMessage(IllegalArgumentException.class, () -> ParamOverride.builder().lr(lr).build(), "lr", value);
        try (Adam adam = new Adam(ps)) {
            assertMessage(IllegalArgumentException.class, () -> adam.paramGroups().get(0).setLr(lr), "lr", value);
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {-0.1f, 1.0f, 1.5f, Float.NaN})
    void rejectsBetasOutsideUnitInterval(float beta) {
        List<Parameter> ps = List.of(param("w", 8));
        String value = Float.toString(beta);
        assertMessage(IllegalArgumentException.class, () -> Adam.builder().betas(beta, 0.999f), "beta1", value);
        assertMessage(IllegalArgumentException.class, () -> AdamW8bit.builder().betas(0.9f, beta), "beta2", value);
        assertMessage(IllegalArgumentException.class, () -> AdEMAMix.builder().betas(0.9f, 0.999f, beta), "beta3",
                value);
        assertMessage(IllegalArgumentException.class, () -> Lion8bit.builder().betas(beta, 0.99f), "beta1", value);
        assertMessage(IllegalArgumentException.class, () -> LAMB.builder().betas(0.9f, beta), "beta2", value);
        assertMessage(IllegalArgumentException.class, () -> SGD.builder().momentum(beta), "momentum", value);
        assertMessage(IllegalArgumentException.class, () -> RMSprop.builder().alpha(beta), "alpha", value);
        assertMessage(IllegalArgumentException.class,
                () -> GlobalOptimManager.getInstance().overrideConfig(ps.get(0), "betas", List.of(beta, 0.9f)),
                "beta1", value);
    }

    @ParameterizedTest
    @ValueSource(floats = {-1e-8f, Float.NaN, Float.POSITIVE_INFINITY})
    void rejectsBadEpsAndWeightDecay(float bad) {
        String value = Float.toString(bad);
        assertMessage(IllegalArgumentException.class, () -> Adam.builder().eps(bad), "eps", value);
        assertMessage(IllegalArgumentException.class, () -> RMSprop8bit.builder().eps(bad), "eps", value);
        assertMessage(IllegalArgumentException.class, () -> Adagrad.builder().eps(bad), "eps", value);
        assertMessage(IllegalArgumentException.class, () -> AdamW.builder().weightDecay(bad), "weightDecay", value);
        assertMessage(IllegalArgumentException.class, () -> SGD8bit.builder().weightDecay(bad), "weightDecay",
                value);
        assertMessage(IllegalArgumentException.class, () -> LARS.builder().maxUnorm(bad), "maxUnorm", value);
    }

    @Test
    void rejectsWhatUpstreamRefuses() {
        List<Parameter> ps = List.of(param("w", 8));
        assertMessage(IllegalArgumentException.class, () -> SGD.builder().params(ps).lr(0.01f).build(), "momentum",
                "0.0");
        assertMessage(IllegalArgumentException.class, () -> new SGD8bit(ps, 0.01f, 0f), "momentum", "0.0");
        assertMessage(IllegalArgumentException.class, () -> new LARS(ps, 0.01f, 0f), "momentum", "0.0");
        assertMessage(IllegalStateException.class, () -> SGD.builder().params(ps).momentum(0.9f).build(), "lr");
        assertMessage(IllegalArgumentException.class, () -> RMSprop.builder().alpha(0f), "alpha", "0.0");
        assertMessage(IllegalArgumentException.class, () -> RMSprop.builder().params(ps).centered(true).build(),
                "centered", "true");
        assertMessage(IllegalArgumentException.class, () -> Adagrad.builder().params(ps).lrDecay(0.1f).build(),
                "lrDecay", "0.1");
        assertMessage(IllegalArgumentException.class,
                () -> Adagrad.builder().params(ps).initialAccumulatorValue(0.5f).build(), "initialAccumulatorValue",
                "0.5");
        assertMessage(IllegalArgumentException.class, () -> Adagrad8bit.builder().optimBits(StateBits.THIRTY_TWO),
                "optimBits", "32");
        assertMessage(IllegalArgumentException.class, () -> Adam8bit.builder().params(ps).amsgrad(true).build(),
                "amsgrad", "true");
        assertMessage(IllegalArgumentException.class, () -> PagedAdamW8bit.builder().params(ps).amsgrad(true).build(),
                "amsgrad", "true");
        assertMessage(IllegalArgumentException.class, () -> LAMB8bit.builder().params(ps).amsgrad(true).build(),
                "amsgrad", "true");
        assertMessage(IllegalArgumentException.class, () -> LAMB8bit.builder().params(ps).maxUnorm(0.5f).build(),
                "maxUnorm", "0.5");
        assertMessage(IllegalArgumentException.class, () -> Adam32bit.builder().optimBits(StateBits.EIGHT),
                "optimBits", "8");
        assertMessage(IllegalArgumentException.class, () -> Adam.builder().percentileClipping(0),
                "percentileClipping", "0");
        assertMessage(IllegalArgumentException.class, () -> Adam.builder().minEightBitSize(-1), "minEightBitSize",
                "-1");
        assertMessage(IllegalArgumentException.class, () -> new Adam(List.of()), "params");
        Parameter w = ps.get(0);
        assertMessage(IllegalArgumentException.class, () -> new Adam(List.of(w, w)), "params", "'w'");
    }

    @Test
    void rejectsGradientThatDoesNotMatchItsParameter() {
        Parameter p = param("w", 8);
        assertMessage(IllegalArgumentException.class,
                () -> p.setGrad(Tensor.zeros(DType.F32, device(), 9)), "grad of w", "[8]", "[9]");
        assertMessage(IllegalArgumentException.class,
                () -> p.setGrad(Tensor.zeros(DType.F16, device(), 8)), "grad of w", "F32", "F16");
        Tensor backing = Tensor.zeros(DType.F32, Device.cpu(), 8);
        assertMessage(IllegalArgumentException.class, () -> p.setGrad(onOtherDevice(backing)), "grad of w",
                device().toString(), otherDevice().toString());
    }

    /** A device other than {@link #device()}; a CUDA view of host memory stands in when there is no GPU. */
    private Device otherDevice() {
        return device().isCpu() ? Device.cuda(0) : Device.cpu();
    }

    /** A tensor on {@link #otherDevice()}; without a GPU, a CUDA view of {@code backing} that is never read. */
    private Tensor onOtherDevice(Tensor backing) {
        if (device().isCpu()) {
            return Tensor.wrap(backing.address(), DType.F32, Device.cuda(0), backing.shape());
        }
        return Tensor.zeros(DType.F32, Device.cpu(), backing.shape());
    }

    @Test
    void rejectsGroupSpanningDevices() {
        Tensor backing = Tensor.zeros(DType.F32, Device.cpu(), 8);
        Parameter a = param("a", 8);
        Parameter b = new Parameter("b", onOtherDevice(backing));
        assertMessage(IllegalArgumentException.class, () -> new Adam8bit(List.of(a, b)), "one device", "'b'",
                otherDevice().toString(), device().toString());
        // separate groups may live on different devices (no step: the CUDA view is not real memory)
        Adam8bit.builder().params(List.of(a)).params(List.of(b)).build().close();
    }

    @Test
    void rejectsClosedParameterAndClosedOptimizer() {
        Parameter a = param("a", 8);
        Parameter b = param("b", 8);
        Adam adam = new Adam(List.of(a, b));
        OptimTesting.setGrad(a, new float[8]);
        OptimTesting.setGrad(b, new float[8]);
        b.close();
        assertMessage(IllegalStateException.class, adam::step, "'b'", "closed");
        assertNull(adam.state(a), "a failed step must not create state");
        adam.close();
        adam.close(); // idempotent
        assertMessage(IllegalStateException.class, adam::step, "Adam", "closed");
        assertMessage(IllegalStateException.class, () -> adam.configFor(a), "Adam", "closed");
        assertMessage(IllegalStateException.class, adam::zeroGrad, "Adam", "closed");
        assertMessage(IllegalStateException.class, () -> adam.zeroGrad(true), "Adam", "closed");
        assertMessage(IllegalStateException.class, () -> adam.state(a), "Adam", "closed");
        assertMessage(IllegalStateException.class, adam::stateDict, "Adam", "closed");
        assertMessage(IllegalStateException.class, () -> new Adam(List.of(b)), "'b'", "closed");
    }

    /**
     * A state tensor of a later kernel batch closed behind the optimizer's back: the step throws before its first
     * batch, so the earlier batch's parameter, state and step counter are unchanged (issue 13, item 4).
     */
    @ParameterizedTest
    @ValueSource(strings = {"state1", "state2", "absmax1", "absmax2"})
    void closedStateOfALaterBatchFailsTheStepBeforeAnyBatch(String field) {
        for (StateBits bits : StateBits.values()) {
            if (bits == StateBits.THIRTY_TWO && field.startsWith("absmax")) {
                continue; // 32-bit state has no absmax
            }
            Parameter a = param("a", 300); // F32: the first batch
            Parameter b = OptimTesting.param("b", OptimTesting.gaussian(300, 3, 0.1), DType.BF16, device());
            try (Optimizer adam = OptimizerCase.ADAMW.create(List.of(a, b), bits, new GlobalOptimManager())) {
                OptimTesting.setGrad(a, OptimTesting.gaussian(300, 1, 0.01));
                OptimTesting.setGrad(b, OptimTesting.gaussian(300, 2, 0.01));
                adam.step();
                ParamState sa = adam.state(a);
                Supplier<byte[][]> snapshot = () -> new byte[][] {
                    bytes(a.value()), bytes(sa.state1()), bytes(sa.state2()),
                    sa.absmax1() == null ? new byte[0] : bytes(sa.absmax1())};
                byte[][] before = snapshot.get();
                ParamState sb = adam.state(b);
                Tensor victim = switch (field) {
                    case "state1" -> sb.state1();
                    case "state2" -> sb.state2();
                    case "absmax1" -> sb.absmax1();
                    default -> sb.absmax2();
                };
                victim.close();
                assertMessage(IllegalStateException.class, adam::step, field, "'b'", "closed");
                byte[][] after = snapshot.get();
                for (int i = 0; i < before.length; i++) {
                    assertArrayEquals(before[i], after[i], bits + " " + field + ": tensor " + i + " of 'a' changed");
                }
                assertTrue(sa.step() == 1 && sb.step() == 1, "step counters changed by a failed step");
            }
        }
    }

    @Test
    void nullArgumentsAreNamed() {
        Parameter a = param("a", 8);
        try (Adam adam = new Adam(List.of(a))) {
            assertMessage(NullPointerException.class, () -> adam.state(null), "param");
            assertMessage(NullPointerException.class, () -> adam.configFor(null), "param");
            assertMessage(NullPointerException.class, () -> adam.step(null), "closure");
            assertMessage(NullPointerException.class, () -> adam.loadStateDict(null), "checkpoint");
            assertMessage(NullPointerException.class, () -> adam.save(null), "file");
            assertMessage(NullPointerException.class, () -> adam.load(null), "file");
        }
    }

    @Test
    void failedStepChangesNothing() {
        for (StateBits bits : StateBits.values()) {
            Parameter a = param("a", 300);
            Parameter b = param("b", 300);
            try (Optimizer adam = OptimizerCase.ADAMW.create(List.of(a, b), bits, new GlobalOptimManager())) {
                OptimTesting.setGrad(a, OptimTesting.gaussian(300, 1, 0.01));
                OptimTesting.setGrad(b, OptimTesting.gaussian(300, 2, 0.01));
                adam.step();
                Supplier<byte[][]> snapshot = () -> new byte[][] {
                    bytes(a.value()), bytes(b.value()), bytes(adam.state(a).state1()), bytes(adam.state(a).state2()),
                    bytes(adam.state(b).state1()), bytes(adam.state(b).state2())};
                byte[][] before = snapshot.get();
                OptimTesting.setGrad(a, OptimTesting.gaussian(300, 3, 0.01));
                b.grad().close(); // the second parameter's gradient is now invalid
                assertMessage(IllegalStateException.class, adam::step, "gradient", "'b'", "index 1", "closed");
                byte[][] after = snapshot.get();
                for (int i = 0; i < before.length; i++) {
                    assertArrayEquals(before[i], after[i], bits + ": tensor " + i + " changed by a failed step");
                }
                assertTrue(adam.state(a).step() == 1 && adam.state(b).step() == 1);
            }
        }
    }

    @Test
    void failedFirstStepCreatesNoState() {
        Parameter a = param("a", 300);
        Parameter b = param("b", 300);
        try (Adam8bit adam = Adam8bit.builder().params(List.of(a, b)).minEightBitSize(0).build()) {
            OptimTesting.setGrad(a, OptimTesting.gaussian(300, 1, 0.01));
            OptimTesting.setGrad(b, OptimTesting.gaussian(300, 2, 0.01));
            b.grad().close();
            byte[] before = bytes(a.value());
            assertThrows(IllegalStateException.class, adam::step);
            assertArrayEquals(before, bytes(a.value()));
            assertNull(adam.state(a));
            assertNull(adam.state(b));
        }
    }

    private static byte[] bytes(Tensor t) {
        try (Tensor host = t.to(Device.cpu())) {
            byte[] out = new byte[Math.toIntExact(host.byteSize())];
            host.asByteBuffer().get(out);
            return out;
        }
    }
}
