package io.github.bnb4j.core.functional;

/** The 4-bit data types; 8-bit blockwise quantization uses a 256-entry code book instead. */
public enum QuantType {
    /** 4-bit NormalFloat: quantiles of N(0, 1), scaled to [-1, 1]. */
    NF4,
    /** 4-bit float: 1 sign, 2 exponent, 1 mantissa bit. */
    FP4;

    /** The name upstream uses ("nf4", "fp4"). */
    public String upstreamName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
