package io.github.bnb4j.core;

import io.github.bnb4j.core.internal.NativeRuntime;
import io.github.bnb4j.nativelib.Bnb;

/** Makes a device current on the calling thread before work is queued on it. */
final class CudaContext {
    private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[] {-1});

    private CudaContext() {
    }

    /**
     * Checks the CUDA backend and selects {@code device} on this thread (cached, so repeated calls are cheap).
     *
     * @throws io.github.bnb4j.nativelib.BnbException when CUDA is unavailable or the device is invalid
     */
    static void use(Device device) {
        int[] current = CURRENT.get();
        if (current[0] == device.index()) {
            return;
        }
        Bnb.requireCuda("using " + device);
        int count = Bnb.report().gpus().size();
        if (device.index() >= count) {
            throw new IllegalArgumentException("device must be cuda:0 .. cuda:" + (count - 1) + ", got " + device);
        }
        NativeRuntime.setDevice(device);
        current[0] = device.index();
    }
}
