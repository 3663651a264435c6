package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;

/**
 * One flat scratch buffer of a workspace, handed out as views of the shape a call needs. It is allocated at first
 * need and grown by half again when too small, never shrunk, so repeated calls of one shape allocate nothing (a CUDA
 * allocation or free would synchronize the device). It belongs to its workspace, not to any {@link TensorScope}.
 */
final class GrowOnlyBuffer {
    private final Device device;
    private Tensor storage;

    GrowOnlyBuffer(Device device) {
        this.device = device;
    }

    /** A view [shape] of dtype over the buffer, valid until the next call or {@link #free()}. */
    Tensor view(DType dtype, long... shape) {
        long n = Shapes.numel(shape);
        if (storage == null || storage.dtype() != dtype || storage.numel() < n) {
            long capacity = Math.max(n, storage == null || storage.dtype() != dtype ? 0 : storage.numel() * 3 / 2);
            free();
            storage = TensorScope.detach(Tensor.empty(dtype, device, Math.max(capacity, 1)));
        }
        return storage.narrow(0, n).reshape(shape);
    }

    /** Frees the buffer; a later {@link #view} allocates again. */
    void free() {
        if (storage != null) {
            storage.close();
            storage = null;
        }
    }
}
