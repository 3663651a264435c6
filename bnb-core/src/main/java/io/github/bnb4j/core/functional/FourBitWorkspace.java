package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * Scratch memory of {@link FourBit#matmul4bitInto(Tensor, Tensor, QuantState, Tensor, FourBitWorkspace)}: the
 * weight dequantized for batches above the fused GEMV's rows. It is allocated at first need and grown, never shrunk,
 * so repeated products allocate nothing (a CUDA free synchronizes the device, and both cost host time while the GPU
 * idles). It belongs to the workspace, not to any {@link io.github.bnb4j.core.TensorScope}; {@link #close()} frees
 * it.
 *
 * <p>Not thread-safe: one workspace per thread (or per layer that runs on one thread). Products through one workspace
 * must run on one stream, which is what a thread's calls do.
 */
public final class FourBitWorkspace implements AutoCloseable {
    private final Device device;
    private final GrowOnlyBuffer weight;
    private boolean closed;

    /**
     * An empty workspace for products on {@code device}.
     *
     * @throws NullPointerException if {@code device} is null
     */
    public FourBitWorkspace(Device device) {
        this.device = Objects.requireNonNull(device, "device");
        this.weight = new GrowOnlyBuffer(device);
    }

    /** The device whose products this workspace serves. */
    public Device device() {
        return device;
    }

    /** A [n, k] view of dtype for the dequantized weight. */
    Tensor weight(DType dtype, long n, long k) {
        if (closed) {
            throw new IllegalStateException("the 4-bit workspace on " + device + " is closed");
        }
        return weight.view(dtype, n, k);
    }

    /** Frees the buffer; later calls do nothing, and a product through a closed workspace throws. */
    @Override
    public void close() {
        closed = true;
        weight.free();
    }
}
