package io.github.bnb4j.core;

import io.github.bnb4j.core.internal.NativeRuntime;

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
        if (!device.isCuda()) {
            throw new IllegalArgumentException("device must be a CUDA device, got " + device);
        }
        CudaContext.use(device);
        return NativeRuntime.memoryInfo(device);
    }
}
