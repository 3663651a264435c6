package io.github.bnb4j.nn;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;

/**
 * What an {@link EmbeddingBuilder} collected: V, D, the padding row (-1: none), dtype, device, seed (or null), and
 * whether the table starts at zero instead of its random initialisation.
 */
record EmbeddingOptions(long numEmbeddings, long embeddingDim, long paddingIdx, DType dtype, Device device,
        Long seed, boolean zeroInit) {
}
