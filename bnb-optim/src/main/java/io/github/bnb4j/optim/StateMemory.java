package io.github.bnb4j.optim;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.MemoryKind;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an optimizer's state lives: ordinary memory, or for paged optimizers CUDA managed memory that the
 * driver may page out to the host under memory pressure and that is prefetched to the GPU before each update.
 * Falls back to ordinary memory, with one WARN per optimizer, where paging cannot work.
 */
final class StateMemory {
    /** Upstream pages only buffers of at least this many elements ({@code get_state_buffer}: 1e5). */
    static final long PAGED_MIN_ELEMENTS = 100_000;
    private static final Logger LOG = LoggerFactory.getLogger(StateMemory.class);

    private final boolean paged;
    private final String owner;
    private boolean warnedCpu;
    private boolean warnedPrefetch;

    StateMemory(boolean paged, String owner) {
        this.paged = paged;
        this.owner = owner;
    }

    boolean isPaged() {
        return paged;
    }

    /**
     * A zeroed state buffer, owned by the optimizer (detached from any {@link TensorScope}): managed memory
     * for a paged optimizer on a GPU when it is large enough to be worth paging.
     */
    Tensor stateBuffer(DType dtype, Device device, long... shape) {
        if (!paged || ParamState.numel(shape) < PAGED_MIN_ELEMENTS) {
            return zeros(dtype, device, shape);
        }
        if (device.isCpu()) {
            if (!warnedCpu) {
                warnedCpu = true;
                LOG.warn("{}: paged optimizers are not supported on CPU; falling back to ordinary host memory "
                        + "for the optimizer state", owner);
            }
            return zeros(dtype, device, shape);
        }
        Tensor t = TensorScope.detach(Tensor.emptyManaged(dtype, device, shape));
        try {
            t.fillZero();
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** A zeroed buffer in ordinary memory, owned by the optimizer. */
    static Tensor zeros(DType dtype, Device device, long... shape) {
        return TensorScope.detach(Tensor.zeros(dtype, device, shape));
    }

    /** Migrates a managed buffer to {@code device} ahead of the kernel; no-op for other memory. */
    void prefetch(Tensor t, Device device) {
        if (t == null || t.memoryKind() != MemoryKind.MANAGED) {
            return;
        }
        if (!t.prefetch(device) && !warnedPrefetch) {
            warnedPrefetch = true;
            LOG.warn("{}: {} cannot prefetch managed memory (no concurrent managed access); paged optimizer state "
                    + "migrates page by page on demand, which is slower", owner, device);
        }
    }
}
