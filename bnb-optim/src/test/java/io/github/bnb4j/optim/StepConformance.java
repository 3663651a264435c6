package io.github.bnb4j.optim;

import io.github.bnb4j.core.testing.BackendConformance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import org.junit.jupiter.api.Test;

/** The step machinery: closures, zeroGrad, skipped parameters, groups, multi-tensor batching, close. */
abstract class StepConformance extends BackendConformance {
    private Parameter param(String name, int n, DType dtype) {
        return OptimTesting.param(name, OptimTesting.gaussian(n, name.hashCode(), 0.1), dtype, device());
    }

    @Test
    void closureRunsBeforeTheUpdateAndItsLossIsReturned() {
        Parameter p = param("p", 600, DType.F32);
        Parameter twin = param("p", 600, DType.F32);
        float[] g = OptimTesting.gaussian(600, 3, 0.01);
        try (Adam8bit a = Adam8bit.builder().params(List.of(p)).minEightBitSize(0).build();
                Adam8bit b = Adam8bit.builder().params(List.of(twin)).minEightBitSize(0).build()) {
            float loss = a.step(() -> {
                OptimTesting.setGrad(p, g);
                return 1.25f;
            });
            assertEquals(1.25f, loss);
            OptimTesting.setGrad(twin, g);
            b.step();
            assertArrayEquals(twin.value().toFloatArray(), p.value().toFloatArray());
        }
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Parameter a = param("a", 300, DType.F16);
        Parameter b = param("b", 300, DType.F16);
        try (Lion8bit lion = Lion8bit.builder().params(List.of(a, b)).minEightBitSize(0).build()) {
            float[] before = b.value().toFloatArray();
            OptimTesting.setGrad(a, OptimTesting.gaussian(300, 1, 0.01));
            lion.step();
            assertEquals(1, lion.state(a).step());
            assertNull(lion.state(b));
            assertArrayEquals(before, b.value().toFloatArray());
            lion.zeroGrad(true);
            assertNull(a.grad());
            float[] aBefore = a.value().toFloatArray();
            lion.step();
            assertEquals(1, lion.state(a).step(), "no gradient, no update");
            assertArrayEquals(aBefore, a.value().toFloatArray());
        }
    }

    @Test
    void zeroGradKeepsZeroGradients() {
        Parameter p = param("p", 300, DType.BF16);
        try (SGD sgd = new SGD(List.of(p), 0.1f, 0.9f)) {
            OptimTesting.setGrad(p, OptimTesting.gaussian(300, 1, 0.01));
            sgd.step();
            sgd.zeroGrad();
            assertArrayEquals(new float[300], p.grad().toFloatArray());
            float[] before = p.value().toFloatArray();
            sgd.step(); // momentum keeps moving the parameter with a zero gradient
            assertEquals(2, sgd.state(p).step());
            assertFalse(java.util.Arrays.equals(before, p.value().toFloatArray()));
        }
    }

    @Test
    void groupsKeepTheirOwnConfiguration() {
        Parameter moving = param("moving", 300, DType.F32);
        Parameter frozen = param("frozen", 300, DType.F32);
        try (AdamW adamW = AdamW.builder().params(List.of(moving))
                .group(List.of(frozen), ParamOverride.builder().lr(0f).build()).build()) {
            float[] before = frozen.value().toFloatArray();
            OptimTesting.setGrad(moving, OptimTesting.gaussian(300, 1, 0.01));
            OptimTesting.setGrad(frozen, OptimTesting.gaussian(300, 2, 0.01));
            adamW.step();
            assertArrayEquals(before, frozen.value().toFloatArray());
            assertEquals(0f, adamW.paramGroups().get(1).config().lr());
            adamW.paramGroups().get(1).setLr(1e-3f);
            adamW.step();
            assertFalse(java.util.Arrays.equals(before, frozen.value().toFloatArray()));
        }
    }

    @Test
    void oneMultiTensorStepEqualsSeparateSteps() {
        int[] sizes = {1, 300, 5000};
        List<Parameter> together = new ArrayList<>();
        List<Parameter> apart = new ArrayList<>();
        for (int n : sizes) {
            together.add(param("p" + n, n, DType.F16));
            apart.add(param("p" + n, n, DType.F16));
        }
        List<Optimizer> singles = new ArrayList<>();
        try (AdEMAMix8bit joint = AdEMAMix8bit.builder().params(together).minEightBitSize(0).build()) {
            for (Parameter p : apart) {
                singles.add(AdEMAMix8bit.builder().params(List.of(p)).minEightBitSize(0).build());
            }
            for (int step = 1; step <= 3; step++) {
                for (int i = 0; i < sizes.length; i++) {
                    float[] g = OptimTesting.gaussian(sizes[i], 10L * step + i, 0.01);
                    OptimTesting.setGrad(together.get(i), g);
                    OptimTesting.setGrad(apart.get(i), g);
                    singles.get(i).step();
                }
                joint.step();
            }
            for (int i = 0; i < sizes.length; i++) {
                assertArrayEquals(apart.get(i).value().toFloatArray(), together.get(i).value().toFloatArray());
                assertArrayEquals(singles.get(i).state(apart.get(i)).state1().toByteArray(),
                        joint.state(together.get(i)).state1().toByteArray());
            }
        } finally {
            singles.forEach(Optimizer::close);
        }
    }

    @Test
    void stateOutlivesTheScopeItWasCreatedInAndCloseFreesIt() {
        Parameter p = param("p", 300, DType.F32);
        Adam adam;
        try (TensorScope inner = TensorScope.open()) {
            adam = new Adam(List.of(p));
            OptimTesting.setGrad(p, OptimTesting.gaussian(300, 1, 0.01));
            adam.step();
            inner.keep(p.grad());
        }
        Tensor state1 = adam.state(p).state1();
        assertFalse(state1.isClosed(), "optimizer state belongs to the optimizer, not to a scope");
        adam.step();
        adam.close();
        assertTrue(state1.isClosed());
        assertFalse(p.value().isClosed(), "the optimizer never closes parameters");
        assertThrows(IllegalStateException.class, () -> adam.state(p));
    }
}
