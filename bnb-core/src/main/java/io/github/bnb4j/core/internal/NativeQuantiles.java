package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The quantile family of the C API ({@code bnb/quantiles.h}): picks the CPU or CUDA entry point from the device
 * and queues CUDA work on the calling thread's current stream. The functional ops validate the arguments first;
 * the C API's own checks are the last line. Internal: see the package documentation.
 */
public final class NativeQuantiles {
    private NativeQuantiles() {
    }

    /**
     * out[j] = the mean over the 4096-element chunks of {@code a} of the sorted chunk's value at the pick
     * position of quantile {@code sel_j} (bnb/quantiles.h).
     *
     * @param a      F32/F16/BF16 [n], n >= 256
     * @param out    F32 [numQuantiles], written
     * @param offset in (0, 0.5]
     */
    public static void estimateQuantiles(Tensor a, Tensor out, float offset) {
        Device d = a.device();
        assert out.dtype() == DType.F32;
        int dtype = a.dtype().code();
        int numQuantiles = Math.toIntExact(out.numel());
        FloatPointer o = new FloatPointer(out.pointer());
        int status = d.isCpu()
                ? BnbC.bnb_cpu_estimate_quantiles(dtype, a.pointer(), o, offset, numQuantiles, a.numel())
                : BnbC.bnb_cuda_estimate_quantiles(dtype, a.pointer(), o, offset, numQuantiles, a.numel(),
                        CudaStream.current(d).pointer());
        // The CUDA path allocates a scratch buffer, which can run out of memory: report the device's free bytes.
        NativeStatus.check(status, "estimateQuantiles on " + d, OutOfDeviceMemoryException.UNKNOWN,
                () -> d.isCuda() ? NativeRuntime.freeBytes(d) : OutOfDeviceMemoryException.UNKNOWN);
    }
}
