package io.github.bnb4j.optim;

import java.util.HashMap;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.CodeBooks;

/**
 * The quantization maps of 8-bit state, one copy per device shared by all parameters of an optimizer (as
 * upstream's {@code name2qmap}): the signed dynamic map for first moments and one-state rules, the unsigned
 * one for Adam's and AdEMAMix's second moment.
 */
final class CodeMaps implements AutoCloseable {
    private final Map<Device, Tensor> signed = new HashMap<>();
    private final Map<Device, Tensor> unsigned = new HashMap<>();

    Tensor signed(Device device) {
        return signed.computeIfAbsent(device, d -> upload(CodeBooks.dynamicSigned(), d));
    }

    Tensor unsigned(Device device) {
        return unsigned.computeIfAbsent(device, d -> upload(CodeBooks.dynamicUnsigned(), d));
    }

    /**
     * Creates the maps of 8-bit state on {@code device} if missing (the unsigned one only for two-state rules),
     * and checks they are open.
     *
     * @throws IllegalStateException if a map was closed by a caller (through {@link ParamState#qmap1()})
     */
    void requireOpen(Device device, boolean twoState) {
        requireOpen(signed(device), "signed", device);
        if (twoState) {
            requireOpen(unsigned(device), "unsigned", device);
        }
    }

    private static void requireOpen(Tensor map, String which, Device device) {
        if (map.isClosed()) {
            throw new IllegalStateException("the optimizer's " + which + " code map on " + device
                    + " is closed (state tensors belong to the optimizer; do not close them)");
        }
    }

    private static Tensor upload(float[] map, Device device) {
        return TensorScope.detach(Tensor.fromFloats(map, DType.F32, device, map.length));
    }

    @Override
    public void close() {
        signed.values().forEach(Tensor::close);
        unsigned.values().forEach(Tensor::close);
        signed.clear();
        unsigned.clear();
    }
}
