package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;

/**
 * Scratch memory of {@link Int8Matmul#matmulInto}: the quantized input, its statistics and outlier columns, the
 * int32 product and the outlier operands, or for the fused CUDA kernels of few rows their outlier state (kept
 * zeroed between products by the kernels themselves). Buffers are allocated at first need and grown, never
 * shrunk, so repeated products of one shape allocate nothing (a CUDA allocation or free would synchronize the
 * device). They belong to the workspace, not to any {@link TensorScope}; {@link #close()} frees them.
 *
 * <p>Not thread-safe: one workspace per thread (or per layer that runs on one thread).
 */
public final class Int8Workspace implements AutoCloseable {
    private final Device device;
    private final Slot codes = new Slot();
    private final Slot rowStats = new Slot();
    private final Slot outlierColumns = new Slot();
    private final Slot outlierCount = new Slot();
    private final Slot product = new Slot();
    private final Slot inputColumns = new Slot();
    private final Slot weightColumns = new Slot();
    private final Slot fusedOutlierState = new Slot(true);
    private boolean closed;

    /**
     * An empty workspace for products on {@code device}.
     *
     * @throws NullPointerException if {@code device} is null
     */
    public Int8Workspace(Device device) {
        this.device = Objects.requireNonNull(device, "device");
    }

    /** The device whose products this workspace serves. */
    public Device device() {
        return device;
    }

    Tensor codes(long rows, long cols) {
        return codes.view(DType.I8, rows, cols);
    }

    Tensor rowStats(long rows) {
        return rowStats.view(DType.F32, rows);
    }

    Tensor outlierColumns(long cols) {
        return outlierColumns.view(DType.I64, cols);
    }

    Tensor outlierCount() {
        return outlierCount.view(DType.I64, 1);
    }

    Tensor product(long rows, long cols) {
        return product.view(DType.I32, rows, cols);
    }

    Tensor inputColumns(DType dtype, long rows, long n) {
        return inputColumns.view(dtype, rows, n);
    }

    Tensor weightColumns(DType dtype, long rows, long n) {
        return weightColumns.view(dtype, rows, n);
    }

    /** The zeroed I32 [2 + 2k] outlier state of {@code NativeInt8.fusedMatmul}. */
    Tensor fusedOutlierState(long k) {
        return fusedOutlierState.view(DType.I32, 2 + 2 * k);
    }

    /** Frees every buffer; later calls do nothing, and a product through a closed workspace throws. */
    @Override
    public void close() {
        closed = true;
        for (Slot s : new Slot[] {codes, rowStats, outlierColumns, outlierCount, product, inputColumns,
            weightColumns, fusedOutlierState}) {
            s.free();
        }
    }

    /** One grow-only flat buffer, handed out as views of the shape a call needs; zeroed when allocated if asked. */
    private final class Slot {
        private final boolean zeroed;
        private Tensor storage;

        Slot() {
            this(false);
        }

        Slot(boolean zeroed) {
            this.zeroed = zeroed;
        }

        Tensor view(DType dtype, long... shape) {
            if (closed) {
                throw new IllegalStateException("the int8 workspace on " + device + " is closed");
            }
            long n = Shapes.numel(shape);
            if (storage == null || storage.dtype() != dtype || storage.numel() < n) {
                long capacity = Math.max(n, storage == null || storage.dtype() != dtype ? 0 : storage.numel() * 3 / 2);
                free();
                long size = Math.max(capacity, 1);
                storage = TensorScope.detach(zeroed ? Tensor.zeros(dtype, device, size)
                        : Tensor.empty(dtype, device, size));
            }
            return storage.narrow(0, n).reshape(shape);
        }

        void free() {
            if (storage != null) {
                storage.close();
                storage = null;
            }
        }
    }
}
