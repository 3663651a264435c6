package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnChecks.requireFloat;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireIndices;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireShape;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * Embedding lookup and its gradient. {@link #gather} copies rows of a table [V, ...] of any dtype (F32/F16/BF16
 * rows, the U8 codes of an 8-bit or packed 4-bit table, their F32 scales):
 * {@code out[i..., :] = table[indices[i...], :]}.
 * {@link #backward} scatter-adds gradient rows into the table's gradient: {@code gradTable[indices[i], :] +=
 * gradOut[i, :]}, skipping {@code paddingIdx}. Indices are I32 or I64 of any shape, each in [0, V). On the CPU an
 * index out of range throws before anything is written; on CUDA it is never followed and is reported by a later
 * call or {@link IndexErrors#check} (see there). Ops run on the table's device (CUDA: the current stream, no host
 * sync).
 *
 * <p>Summation order: the CPU adds duplicate indices in index order, rounding to the dtype after each add. CUDA
 * adds with atomics (F32 tables by f32 atomic adds; F16/BF16 tables by compare-and-swap of the f32 sum rounded
 * to the dtype), so the order of the adds to a row hit by several indices, and hence the last bits of the sum,
 * may differ between runs.
 */
public final class Embeddings {
    private Embeddings() {
    }

    /**
     * Gathers rows of {@code table}.
     *
     * @param table   [V, ...] of any dtype, rank &gt;= 1 (a row is everything after the first dimension)
     * @param indices I32 or I64 of any shape on table's device, each in [0, V)
     * @return a new tensor [indices.shape..., table.shape[1:]...] of table's dtype
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if table is a scalar, indices are not I32/I64 on its device, or (on the
     *                                  CPU) an index is out of range, naming its position and value
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Tensor gather(Tensor table, Tensor indices) {
        Objects.requireNonNull(table, "table");
        if (table.rank() < 1) {
            throw new IllegalArgumentException("table must be [V, ...], got a scalar " + table);
        }
        requireIndices(indices, table, "indices");
        long rows = table.size(0);
        long[] rowShape = Arrays.copyOfRange(table.shape(), 1, table.rank());
        long rowElements = Arrays.stream(rowShape).reduce(1, Math::multiplyExact);
        long[] outShape = concat(indices.shape(), rowShape);
        Tensor out = Tensor.empty(table.dtype(), table.device(), outShape);
        try (TensorUse use = TensorUse.of(table, indices, out)) {
            if (out.numel() > 0) {
                NativeNnOps.embedding(table, rows, rowElements * table.dtype().byteSize(), indices, out);
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * Adds the gradient rows into the table's gradient: {@code gradTable[indices[i], :] += gradOut[i, :]}.
     *
     * @param gradOut   [indices.shape..., D]: F32, F16 or BF16
     * @param indices   I32 or I64 on gradOut's device, each in [0, V)
     * @param gradTable [V, D] of gradOut's dtype on its device; accumulated into
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if gradOut's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if a shape, dtype or device does not fit, or (on the CPU) an index is
     *                                       out of range, naming its position and value
     * @throws IllegalStateException         if a tensor is closed
     */
    public static void backward(Tensor gradOut, Tensor indices, Tensor gradTable) {
        scatterAdd(gradOut, indices, gradTable, -1);
    }

    /**
     * {@link #backward(Tensor, Tensor, Tensor)}, skipping the positions whose index is {@code paddingIdx} (torch's
     * {@code padding_idx}: that row gets no gradient).
     *
     * @param paddingIdx in [0, V)
     * @throws IllegalArgumentException as the overload without padding, or if paddingIdx is outside [0, V)
     */
    public static void backward(Tensor gradOut, Tensor indices, Tensor gradTable, long paddingIdx) {
        Objects.requireNonNull(gradTable, "gradTable");
        if (gradTable.rank() != 2 || paddingIdx < 0 || paddingIdx >= gradTable.size(0)) {
            throw new IllegalArgumentException("paddingIdx must be in [0, V) for gradTable [V, D] " + gradTable
                    + ", got " + paddingIdx);
        }
        scatterAdd(gradOut, indices, gradTable, paddingIdx);
    }

    private static void scatterAdd(Tensor gradOut, Tensor indices, Tensor gradTable, long paddingIdx) {
        requireFloat(gradOut, "gradOut", "embedding backward");
        requireIndices(indices, gradOut, "indices");
        Objects.requireNonNull(gradTable, "gradTable");
        if (gradTable.rank() != 2) {
            throw new IllegalArgumentException("gradTable must be [V, D], got " + gradTable);
        }
        long dim = gradTable.size(1);
        requireShape(gradOut, gradTable.dtype(), concat(indices.shape(), new long[] {dim}), gradTable, "gradOut");
        try (TensorUse use = TensorUse.of(gradOut, indices, gradTable)) {
            if (gradOut.numel() > 0) {
                NativeNnOps.embeddingBackward(gradOut, indices, gradTable.size(0), dim, paddingIdx, gradTable);
            }
        }
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
