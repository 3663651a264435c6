package io.github.bnb4j.core.functional;

/** How the per-block absmax scales of a quantized tensor are stored. */
public enum AbsmaxStorage {
    /** One float32 per block. */
    PLAIN,
    /**
     * Double quantization: the mean is subtracted and the centred absmax values are themselves
     * quantized blockwise to 8 bits (upstream {@code nested=True} / {@code compress_statistics=True}).
     */
    NESTED
}
