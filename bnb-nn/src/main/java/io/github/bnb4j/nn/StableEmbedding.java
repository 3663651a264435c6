package io.github.bnb4j.nn;

import java.util.Optional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Elementwise;

/**
 * The embedding upstream recommends for NLP (upstream {@code bnb.nn.StableEmbedding(num_embeddings, embedding_dim,
 * padding_idx=None, ..., device=None, dtype=None)}): an {@link Embedding} followed by a {@link LayerNorm} over D,
 * computed in F32 whatever the table's dtype:
 * <pre>
 *   forward:   e = weight[indices] (the table's dtype),  y = norm(f32(e)) cast back to the table's dtype
 *   backward:  de = norm.backward(f32(dy)) cast to the table's dtype,  grad(weight)[indices[i], :] += de[i, :]
 * </pre>
 * The table starts as upstream's {@code xavier_uniform_} with the padding row zeroed, and is registered with the
 * process-wide {@code GlobalOptimManager} for 32-bit optimizer state (as upstream, so {@code Adam8bit} keeps this
 * table's state in 32 bits). The norm is an F32 {@code LayerNorm(D)} (upstream builds it in the default dtype),
 * its child {@code norm}. State dict: {@code weight} [V, D], {@code norm.weight} [D], {@code norm.bias} [D].
 */
public final class StableEmbedding extends Module {
    private final EmbeddingTable table;
    private final LayerNorm norm;
    private Tensor savedIndices;
    private Tensor savedNormInput;

    /**
     * {@code StableEmbedding(numEmbeddings, embeddingDim)} with the defaults: no padding row, F32, on the CPU.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public StableEmbedding(long numEmbeddings, long embeddingDim) {
        this(builder(numEmbeddings, embeddingDim).options());
    }

    private StableEmbedding(EmbeddingOptions o) {
        this.table = new EmbeddingTable(this, o);
        this.norm = registerModule("norm", LayerNorm.builder(o.embeddingDim()).device(o.device()).build());
    }

    /**
     * A builder with upstream's defaults.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public static EmbeddingBuilder<StableEmbedding> builder(long numEmbeddings, long embeddingDim) {
        return new EmbeddingBuilder<>(numEmbeddings, embeddingDim, StableEmbedding::new);
    }

    /**
     * Forward: the normalized rows at {@code input}; see the class comment.
     *
     * @param input I32 or I64 indices of any shape on the layer's device, each in [0, V)
     * @return [input.shape..., D] of the table's dtype
     * @throws IllegalArgumentException if the input is not I32/I64 on the layer's device, or (on the CPU) an index
     *                                  is out of range, naming its position and value
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        releaseSaved();
        Tensor e = table.lookup(input);
        Tensor e32 = e;
        Tensor y32 = null;
        try {
            e32 = toF32(e);
            y32 = norm.forward(e32);
            Tensor y = y32.dtype() == dtype() ? y32 : Elementwise.cast(y32, dtype());
            if (y != y32) {
                y32.close();
            }
            if (isTraining()) {
                savedIndices = input;
                savedNormInput = e32;
            } else {
                e32.close();
            }
            if (e32 != e) {
                e.close();
            }
            return y;
        } catch (RuntimeException ex) {
            NnTensors.closeAll(e, e32, y32);
            throw ex;
        }
    }

    /**
     * The norm's backward, then the table's rows; see the class comment.
     *
     * @return null: integer indices have no gradient
     */
    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        Tensor indices = requireSaved(savedIndices);
        LayerChecks.requireShape(this, "gradOutput", gradOutput, dtype(), savedNormInput.shape(), device());
        Tensor g32 = toF32(gradOutput);
        Tensor de32 = null;
        Tensor de = null;
        try {
            de32 = norm.backward(g32);
            de = de32.dtype() == dtype() ? de32 : Elementwise.cast(de32, dtype());
            table.accumulate(de, indices);
        } finally {
            if (g32 != gradOutput) {
                g32.close();
            }
            NnTensors.closeAll(de32, de == de32 ? null : de);
        }
        releaseSaved();
        return null;
    }

    private static Tensor toF32(Tensor t) {
        return t.dtype() == DType.F32 ? t : Elementwise.cast(t, DType.F32);
    }

    /** The table [V, D]. */
    public ParameterSlot weight() {
        return table.weight();
    }

    /** The F32 LayerNorm over D. */
    public LayerNorm norm() {
        return norm;
    }

    /** V. */
    public long numEmbeddings() {
        return table.numEmbeddings();
    }

    /** D. */
    public long embeddingDim() {
        return table.embeddingDim();
    }

    /** The padding row, when set. */
    public Optional<Long> paddingIdx() {
        return table.paddingIdx() < 0 ? Optional.empty() : Optional.of(table.paddingIdx());
    }

    /** The dtype of the table and the output. */
    public DType dtype() {
        return table.weight().value().dtype();
    }

    /** The device of the layer's tensors. */
    public Device device() {
        return table.weight().value().device();
    }

    @Override
    Staged stageMove(Device device) {
        Staged move = super.stageMove(device);
        return Staged.of(() -> {
            move.commit();
            table.afterMove();
        }, move::discard);
    }

    @Override
    void releaseSaved() {
        savedIndices = null;
        if (savedNormInput != null) {
            savedNormInput.close();
            savedNormInput = null;
        }
    }
}
