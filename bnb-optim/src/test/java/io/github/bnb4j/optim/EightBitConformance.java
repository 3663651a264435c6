package io.github.bnb4j.optim;

import io.github.bnb4j.core.testing.BackendConformance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.optim.StateBits;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 8-bit blockwise optimizers against the same optimizer with 32-bit state over 50 steps (upstream
 * test_optimizer8bit). Before every step the 32-bit run is re-synced to the 8-bit run (its parameters, and its
 * state set to the dequantized 8-bit state), so each step is compared on its own. Bounds as upstream: fewer
 * than 20 state elements outside atol 3e-3 / rtol 1e-3; parameter error mean below 6e-5 and mean relative
 * error below 6e-4 (fp16 6.2e-4 as upstream's CPU Lion; bf16 1.7e-4 and 1.6e-3).
 */
abstract class EightBitConformance extends BackendConformance {
    private static final int STEPS = 50;
    static Stream<Arguments> cases() {
        return Stream.of(OptimizerCase.values()).flatMap(c -> Stream.of(DType.F32, DType.F16, DType.BF16)
                .flatMap(dt -> Stream.of(1, 4097, 100003).map(n -> Arguments.of(c, dt, n))));
    }

    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("cases")
    void staysCloseToThirtyTwoBit(OptimizerCase c, DType dtype, int n) {
        double meanBound = dtype == DType.BF16 ? 1.7e-4 : 6e-5;
        double relBound = dtype == DType.BF16 ? 1.6e-3 : dtype == DType.F16 ? 6.2e-4 : 6e-4;
        float[] init = OptimTesting.gaussian(n, 7 + n, 0.1);
        Parameter p8 = OptimTesting.param("w", init, dtype, device());
        Parameter p32 = OptimTesting.param("w", init, dtype, device());
        try (Optimizer eight = c.create(List.of(p8), StateBits.EIGHT, new GlobalOptimManager());
                Optimizer full = c.create(List.of(p32), StateBits.THIRTY_TWO, new GlobalOptimManager())) {
            for (int step = 1; step <= STEPS; step++) {
                float[] g = OptimTesting.gaussian(n, 5000L + step, c.gradScale(step));
                OptimTesting.setGrad(p8, g);
                OptimTesting.setGrad(p32, g);
                if (step > 1) {
                    resync(eight.state(p8), full.state(p32), p8, p32, n);
                }
                eight.step();
                full.step();
                String at = c + " " + dtype + " n=" + n + " step " + step;
                ParamState s8 = eight.state(p8);
                ParamState s32 = full.state(p32);
                assertEquals(StateBits.EIGHT, s8.bits());
                float[][] states8 = dequantized(s8, n);
                OptimTesting.assertClose(s32.state1().toFloatArray(), states8[0], 3e-3, 1e-3, 19, at + " state1");
                if (s32.state2() != null) {
                    OptimTesting.assertClose(s32.state2().toFloatArray(), states8[1], 3e-3, 1e-3, 19, at + " state2");
                }
                assertParamsClose(p32.value().toFloatArray(), p8.value().toFloatArray(), meanBound, relBound, at);
            }
        }
    }

    /** The 32-bit run continues from the 8-bit run's parameters and dequantized state. */
    private static void resync(ParamState s8, ParamState s32, Parameter p8, Parameter p32, int n) {
        p32.value().copyFrom(p8.value());
        float[][] states = dequantized(s8, n);
        try (Tensor t1 = Tensor.fromFloats(states[0], DType.F32, s32.state1().device(), s32.state1().shape())) {
            s32.state1().copyFrom(t1);
        }
        if (s32.state2() != null) {
            try (Tensor t2 = Tensor.fromFloats(states[1], DType.F32, s32.state2().device(), s32.state2().shape())) {
                s32.state2().copyFrom(t2);
            }
        }
    }

    /** state1 (both EMAs for AdEMAMix, the slow one scaled by the second half of absmax1) and state2. */
    private static float[][] dequantized(ParamState s, int n) {
        float[] qmap1 = s.qmap1().toFloatArray();
        float[] absmax1 = s.absmax1().toFloatArray();
        byte[] codes1 = s.state1().toByteArray();
        float[] state1 = new float[codes1.length];
        int blocks = (n + 255) / 256;
        for (int half = 0; half * n < codes1.length; half++) {
            float[] part = OptimTesting.dequantize(OptimTesting.slice(codes1, half * n, n), qmap1, absmax1,
                    half * blocks);
            System.arraycopy(part, 0, state1, half * n, n);
        }
        float[] state2 = s.state2() == null ? null
                : OptimTesting.dequantize(s.state2().toByteArray(), s.qmap2().toFloatArray(),
                        s.absmax2().toFloatArray(), 0);
        return new float[][] {state1, state2};
    }

    private static void assertParamsClose(float[] ref, float[] got, double meanBound, double relBound, String at) {
        double err = 0;
        double rel = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs((double) ref[i] - got[i]);
            err += e;
            rel += e / (Math.abs(ref[i]) + 1e-9);
        }
        err /= ref.length;
        rel /= ref.length;
        assertTrue(err < meanBound, at + ": mean parameter error " + err + " >= " + meanBound);
        assertTrue(rel < relBound, at + ": mean relative parameter error " + rel + " >= " + relBound);
    }
}
