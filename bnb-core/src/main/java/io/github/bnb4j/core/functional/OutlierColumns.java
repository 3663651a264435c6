package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/**
 * The outlier columns of a row-wise int8 quantization ({@link Int8#vectorwiseQuant}): the columns of the input
 * holding at least one value with {@code |x| >= threshold}, ascending (upstream's {@code outlier_cols}, I64).
 * With threshold 0 nothing is searched ({@link NotSearched}, upstream's {@code None}).
 */
public sealed interface OutlierColumns extends AutoCloseable permits OutlierColumns.NotSearched,
        OutlierColumns.Searched {
    /** The number of outlier columns; 0 when nothing was searched. Reads the count from the device (a sync). */
    long count();

    /** Releases the tensors (nothing for {@link NotSearched}); closing twice is harmless. */
    @Override
    void close();

    /** Threshold 0: the quantization looked for no outliers. */
    record NotSearched() implements OutlierColumns {
        @Override
        public long count() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    /**
     * The columns found with a threshold &gt; 0, on the input's device, where the kernels wrote them: the count
     * stays on the device until {@link #count()} or {@link #indices()} reads it, so a caller that only passes the
     * result on does not wait for the GPU.
     *
     * @param buffer I64 [cols]: the indices in its first {@code count()} entries, the rest unspecified
     * @param found  I64 [1]: the count
     */
    record Searched(Tensor buffer, Tensor found) implements OutlierColumns {
        /**
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if {@code buffer} is not I64 of rank 1 or {@code found} is not I64 [1]
         *                                  on the same device
         */
        public Searched {
            Objects.requireNonNull(buffer, "buffer");
            Objects.requireNonNull(found, "found");
            if (buffer.dtype() != DType.I64 || buffer.rank() != 1) {
                throw new IllegalArgumentException("buffer must be an I64 vector, got " + buffer);
            }
            if (found.dtype() != DType.I64 || found.rank() != 1 || found.numel() != 1
                    || !found.device().equals(buffer.device())) {
                throw new IllegalArgumentException("found must be I64 [1] on " + buffer.device() + ", got " + found);
            }
        }

        /** @throws IllegalStateException if a tensor is closed */
        @Override
        public long count() {
            long n = found.toLongArray()[0];
            if (n < 0 || n > buffer.numel()) { // only a foreign record could hold such a count
                throw new IllegalStateException("the outlier count " + n + " is outside [0, " + buffer.numel() + "]");
            }
            return n;
        }

        /**
         * The outlier column indices: a view [count()] of {@link #buffer} (closing it frees nothing).
         *
         * @throws IllegalStateException if a tensor is closed
         */
        public Tensor indices() {
            return buffer.narrow(0, count());
        }

        /** The indices on the host. @throws IllegalStateException if a tensor is closed */
        public long[] toArray() {
            return indices().toLongArray();
        }

        @Override
        public void close() {
            buffer.close();
            found.close();
        }
    }
}
