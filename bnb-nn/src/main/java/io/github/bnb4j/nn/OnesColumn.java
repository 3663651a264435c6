package io.github.bnb4j.nn;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;

/**
 * A column of ones [rows, 1] that a layer keeps for its bias gradient, {@code grad(bias) += onesᵀ · gradOut}: made
 * once from the host (one copy) and grown when a larger batch comes, so a steady training loop copies nothing.
 */
final class OnesColumn implements AutoCloseable {
    private Tensor ones;

    /** A view of {@code rows} ones [rows, 1] of {@code dtype} on {@code device}. */
    Tensor column(long rows, DType dtype, Device device) {
        if (ones == null || ones.size(0) < rows || ones.dtype() != dtype || !ones.device().equals(device)) {
            close();
            float[] values = new float[Math.toIntExact(rows)];
            Arrays.fill(values, 1f);
            ones = TensorScope.detach(Tensor.fromFloats(values, dtype, device, rows, 1));
        }
        return ones.narrow(0, rows);
    }

    @Override
    public void close() {
        if (ones != null) {
            ones.close();
            ones = null;
        }
    }
}
