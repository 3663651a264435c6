package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import org.junit.jupiter.api.Test;

/** The module tree: names, modes, frozen parameters, ownership and closing. Backend-independent. */
class ModuleTest {
    @Test
    void namesAreDottedPathsInRegistrationOrder() {
        try (Sequential model = new Sequential(Linear.builder(2, 3).seed(1).build(),
                new Sequential(Linear.builder(3, 3).bias(false).seed(2).build(),
                        LoraLinear.builder(Linear.builder(3, 1).seed(3).build()).rank(1).build()))) {
            assertEquals(List.of("0.weight", "0.bias", "1.0.weight", "1.1.lora_A.weight", "1.1.lora_B.weight"),
                    List.copyOf(model.namedParameters().keySet()));
            Module lora = model.get(1).children().get("1");
            assertEquals("1.1", lora.path());
            assertEquals("Linear '1.1.base_layer'", lora.children().get("base_layer").toString());
            assertEquals(List.of("lora_A.weight", "lora_B.weight"), List.copyOf(lora.namedParameters().keySet()),
                    "names are relative to the module asked");
            assertEquals(5, model.parameters().size());
        }
    }

    @Test
    void modesAndFreezingReachEveryModule() {
        try (Sequential model = new Sequential(new Linear(2, 2), new Linear(2, 2))) {
            assertTrue(model.get(1).isTraining());
            assertSame(model, model.eval());
            assertFalse(model.get(0).isTraining());
            model.train();
            assertTrue(model.get(1).isTraining());
            model.get(1).requiresGrad(false);
            assertEquals(List.of("0.weight", "0.bias"), List.copyOf(model.namedParameters().keySet()));
            assertEquals(4, model.stateDict().size(), "frozen parameters stay in the state dict");
        }
    }

    @Test
    void aModuleBelongsToOneTree() {
        Linear shared = new Linear(2, 2);
        try (Sequential a = new Sequential(shared)) {
            assertThrows(IllegalArgumentException.class, () -> new Sequential(shared));
            assertThrows(IllegalArgumentException.class, () -> new Sequential(a.get(0), a.get(0)));
            assertThrows(IllegalArgumentException.class, () -> new Sequential());
            assertThrows(NullPointerException.class, () -> new Sequential((Module) null));
        }
    }

    @Test
    void closingFreesEverythingOnceAndLaterUseThrows() {
        Sequential model = new Sequential(new Linear(2, 2), LinearNF4.builder(2, 2).build());
        List<Parameter> params = model.parameters();
        Params4bit q = ((Linear4bit) model.get(1)).weight();
        model.close();
        model.close();
        assertTrue(model.isClosed() && model.get(0).isClosed());
        params.forEach(p -> assertTrue(p.value().isClosed(), p.name()));
        assertTrue(q.packed().isClosed());
        assertThrows(IllegalStateException.class, model::stateDict);
        assertThrows(IllegalStateException.class, model::parameters);
        assertThrows(IllegalStateException.class, () -> model.to(Device.cpu()));
        assertThrows(IllegalStateException.class, model::train);
    }

    @Test
    void aScopeAroundAStepNeverClosesWhatTheModuleOwns() {
        try (Linear layer = Linear.builder(2, 2).seed(1).build()) {
            for (int step = 0; step < 2; step++) {
                try (TensorScope scope = TensorScope.open()) {
                    Tensor x = Tensor.fromFloats(new float[] {1, 2}, DType.F32, Device.cpu(), 1, 2);
                    layer.forward(x);
                    layer.backward(Tensor.fromFloats(new float[] {1, 1}, DType.F32, Device.cpu(), 1, 2));
                }
                assertFalse(layer.weight().parameter().grad().isClosed(), "the gradient belongs to the parameter");
            }
            assertEquals(2f * 2, layer.weight().parameter().grad().toFloatArray()[1], "two steps accumulated");
        }
    }

    @Test
    void buildersCheckTheirArguments() {
        assertThrows(IllegalArgumentException.class, () -> Linear.builder(0, 2));
        assertThrows(IllegalArgumentException.class, () -> Linear.builder(2, 2).dtype(DType.I8));
        assertThrows(IllegalArgumentException.class, () -> Linear8bitLt.builder(2, 2).threshold(-1));
        assertThrows(IllegalArgumentException.class, () -> Linear8bitLt.builder(2, 2).threshold(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> Linear4bit.builder(2, 2).blocksize(48));
        assertThrows(NullPointerException.class, () -> Linear4bit.builder(2, 2).device(null));
    }
}
