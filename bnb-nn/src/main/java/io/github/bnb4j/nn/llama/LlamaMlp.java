package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Activations;
import io.github.bnb4j.nn.Module;

/**
 * transformers' {@code LlamaMLP} ({@code mlp}): {@code out = (silu(x · Wgateᵀ) · (x · Wupᵀ)) · Wdownᵀ}, with children
 * {@code gate_proj}, {@code up_proj} [intermediate, hidden] and {@code down_proj} [hidden, intermediate] (dense or
 * quantized, no bias); SiLU·mul is {@link Activations#swiglu} (f32 arithmetic, one rounding, where transformers
 * rounds {@code silu(gate)} to the dtype before the product).
 */
public final class LlamaMlp extends InferenceModule {
    private final Module gateProj;
    private final Module upProj;
    private final Module downProj;

    LlamaMlp(Module gateProj, Module upProj, Module downProj) {
        this.gateProj = registerModule("gate_proj", gateProj);
        this.upProj = registerModule("up_proj", upProj);
        this.downProj = registerModule("down_proj", downProj);
    }

    /**
     * The MLP of each token.
     *
     * @param input [..., hidden] of the model's dtype, on its device
     * @return a new tensor [..., hidden]
     * @throws IllegalArgumentException if the input does not fit (the message names the projection)
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        try (Tensor gate = gateProj.forward(input); Tensor up = upProj.forward(input);
             Tensor act = Activations.swiglu(gate, up)) {
            return downProj.forward(act);
        }
    }
}
