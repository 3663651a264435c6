package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * A row-wise (vector-wise) int8 quantization, {@link Int8#vectorwiseQuant}'s result (upstream's
 * {@code CA, SCA, outlier_cols}). Closing it closes every part.
 *
 * @param codes    I8 with the input's shape [..., cols]: {@code round(x · 127 / rowStats[r])}, 0 in outlier columns
 * @param rowStats F32 [rows] (rows = the product of the leading dimensions): the absmax of each row's non-outliers
 * @param outliers the outlier columns, or {@link OutlierColumns.NotSearched} for threshold 0
 */
public record Int8Quantized(Tensor codes, Tensor rowStats, OutlierColumns outliers) implements AutoCloseable {
    /** @throws NullPointerException if an argument is null */
    public Int8Quantized {
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(rowStats, "rowStats");
        Objects.requireNonNull(outliers, "outliers");
    }

    @Override
    public void close() {
        codes.close();
        rowStats.close();
        outliers.close();
    }
}
