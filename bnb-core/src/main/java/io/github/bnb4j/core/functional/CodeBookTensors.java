package io.github.bnb4j.core.functional;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;

/**
 * The standard code books as tensors. One master copy per device lives for the life of the process, so
 * handing a state its own copy is a device-to-device copy that does not synchronize the host.
 */
final class CodeBookTensors {
    private static final Map<Device, Tensor> DYNAMIC_SIGNED = new ConcurrentHashMap<>();
    private static final Map<Device, Tensor> NF4 = new ConcurrentHashMap<>();
    private static final Map<Device, Tensor> FP4 = new ConcurrentHashMap<>();

    private CodeBookTensors() {
    }

    /** A new F32 [256] tensor with the signed dynamic map on {@code device}; the caller owns it. */
    static Tensor dynamicSigned(Device device) {
        return sharedDynamicSigned(device).to(device);
    }

    /** The process-wide master copy on {@code device}; never close it. */
    static Tensor sharedDynamicSigned(Device device) {
        return DYNAMIC_SIGNED.computeIfAbsent(device,
                d -> TensorScope.detach(Tensor.fromFloats(CodeBooks.dynamicSigned(), DType.F32, d, 256)));
    }

    /** A new F32 [16] tensor with the code book of {@code type} on {@code device}; the caller owns it. */
    static Tensor fourBit(QuantType type, Device device) {
        Map<Device, Tensor> masters = type == QuantType.NF4 ? NF4 : FP4;
        float[] values = type == QuantType.NF4 ? CodeBooks.nf4() : CodeBooks.fp4();
        return masters.computeIfAbsent(device,
                d -> TensorScope.detach(Tensor.fromFloats(values, DType.F32, d, values.length))).to(device);
    }
}
