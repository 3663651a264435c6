package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Embeddings;
import io.github.bnb4j.nn.ParameterSlot;

/**
 * The token embedding of a Llama ({@code model.embed_tokens}): {@code out[b, t, :] = weight[ids[b, t], :]} with the
 * table [vocab, hidden] in the model's dtype ({@link Embeddings#gather}). State dict: {@code weight}.
 */
public final class TokenEmbedding extends InferenceModule {
    private final ParameterSlot weight;

    /** A table of zeros [vocab, hidden] (it is loaded next). */
    TokenEmbedding(long vocab, long hidden, DType dtype, Device device) {
        this.weight = registerParameter("weight", new Parameter("weight", Tensor.zeros(dtype, device, vocab, hidden)));
    }

    /**
     * The rows of the token ids.
     *
     * @param input I32 or I64 ids of any shape on the table's device, each in [0, vocab)
     * @return a new tensor [ids.shape..., hidden] of the table's dtype
     * @throws IllegalArgumentException if the ids are not I32/I64 on the table's device, or (on the CPU) one is out
     *                                  of range
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        return Embeddings.gather(weight.value(), input);
    }

    /** The table [vocab, hidden]. */
    public ParameterSlot weight() {
        return weight;
    }
}
