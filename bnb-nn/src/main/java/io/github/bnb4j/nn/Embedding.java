package io.github.bnb4j.nn;

import java.util.Optional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * A lookup table (upstream {@code bnb.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, ...)}, a
 * {@code torch.nn.Embedding} with upstream's initialisation and optimizer override):
 * <pre>
 *   forward:   y [..., D] = weight [V, D] rows at indices [...]          (I32 or I64 indices, each in [0, V))
 *   backward:  grad(weight)[indices[i], :] += dy[i, :]   (rows at paddingIdx get nothing; no input gradient)
 * </pre>
 * The weight starts as upstream's {@code xavier_uniform_} ({@code U(-b, b)}, {@code b = sqrt(6 / (V + D))}) with
 * the padding row zeroed, and is registered with the process-wide {@code GlobalOptimManager} for 32-bit optimizer
 * state (upstream's {@code register_module_override(self, "weight", {"optim_bits": 32})}), so an 8-bit optimizer
 * keeps this table in 32 bits. Its gradient is the dense [V, D] tensor of {@code Parameter.grad()}, non-zero in
 * the looked-up rows. On CUDA an index out of range is never followed (its row is zeros) and is reported by a later
 * embedding call or {@code IndexErrors.check}. State dict: {@code weight} [V, D].
 */
public final class Embedding extends Module {
    private final EmbeddingTable table;
    private Tensor savedIndices;

    /**
     * {@code Embedding(numEmbeddings, embeddingDim)} with the defaults: no padding row, F32, on the CPU.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public Embedding(long numEmbeddings, long embeddingDim) {
        this(builder(numEmbeddings, embeddingDim).options());
    }

    private Embedding(EmbeddingOptions o) {
        this.table = new EmbeddingTable(this, o);
    }

    /**
     * A builder with upstream's defaults.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public static EmbeddingBuilder<Embedding> builder(long numEmbeddings, long embeddingDim) {
        return new EmbeddingBuilder<>(numEmbeddings, embeddingDim, Embedding::new);
    }

    /**
     * Forward: the rows at {@code input}; see the class comment.
     *
     * @param input I32 or I64 indices of any shape on the layer's device, each in [0, V)
     * @return [input.shape..., D] of the layer's dtype
     * @throws IllegalArgumentException if the input is not I32/I64 on the layer's device, or (on the CPU) an index
     *                                  is out of range, naming its position and value
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        Tensor out = table.lookup(input);
        savedIndices = isTraining() ? input : null;
        return out;
    }

    /**
     * Adds {@code gradOutput}'s rows into the weight's gradient.
     *
     * @return null: integer indices have no gradient
     */
    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        table.accumulate(gradOutput, requireSaved(savedIndices));
        savedIndices = null;
        return null;
    }

    /** The table [V, D]. */
    public ParameterSlot weight() {
        return table.weight();
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

    /** The dtype of the table. */
    public DType dtype() {
        return table.weight().value().dtype();
    }

    /** The device of the table. */
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
    }
}
