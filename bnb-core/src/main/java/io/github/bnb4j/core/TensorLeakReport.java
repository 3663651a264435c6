package io.github.bnb4j.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a tensor that became unreachable while open; frees nothing. Run by the {@link Tensor}'s leak detector,
 * so it must not reference the tensor itself (only its memory and a description).
 */
final class TensorLeakReport implements Runnable {
    /** The {@link Tensor} logger, so leak reports keep the logger name users filter on. */
    private static final Logger LOG = LoggerFactory.getLogger(Tensor.class);

    private final NativeMemory memory;
    private final String description;

    TensorLeakReport(NativeMemory memory, String description) {
        this.memory = memory;
        this.description = description;
    }

    @Override
    public void run() {
        if (!memory.isClosed() && memory.kind() != MemoryKind.FOREIGN && memory.bytes() > 0) {
            LOG.warn("bnb4j: a tensor {} was garbage-collected without close(); its {} bytes leaked",
                    description, memory.bytes());
        }
    }
}
