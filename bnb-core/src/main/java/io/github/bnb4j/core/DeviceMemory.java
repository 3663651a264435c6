package io.github.bnb4j.core;

import java.util.Objects;

import io.github.bnb4j.nativelib.BnbC;
import io.github.bnb4j.nativelib.NativeStatus;

/**
 * Free and total memory of a CUDA device, as the driver reports them.
 *
 * @param freeBytes  bytes currently free
 * @param totalBytes bytes of device memory
 */
public record DeviceMemory(long freeBytes, long totalBytes) {
    /**
     * Reads the figures of {@code device}.
     *
     * @throws IllegalArgumentException if {@code device} is not a CUDA device
     * @throws io.github.bnb4j.nativelib.BnbException if CUDA is unavailable
     */
    public static DeviceMemory of(Device device) {
        Objects.requireNonNull(device, "device");
        if (!device.isCuda()) {
            throw new IllegalArgumentException("device must be a CUDA device, got " + device);
        }
        CudaContext.use(device);
        long[] free = new long[1];
        long[] total = new long[1];
        NativeStatus.check(BnbC.bnb_cuda_mem_get_info(device.index(), free, total), "reading memory of " + device);
        return new DeviceMemory(free[0], total[0]);
    }
}
