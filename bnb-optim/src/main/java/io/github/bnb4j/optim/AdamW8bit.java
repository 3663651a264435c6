package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter, <i>Decoupled Weight Decay Regularization</i>,
 * ICLR 2019, arXiv:1711.05101).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * m = β1·m + (1 − β1)·g
 * v = β2·v + (1 − β2)·g²
 * p = p − lr · (√(1 − β2^t) / (1 − β1^t)) · m / (√v + eps·√(1 − β2^t))
 * p = p · (1 − lr·wd)                      (if wd &gt; 0)
 * </pre>
 *
 * <p>8-bit blockwise state (Dettmers et al., <i>8-bit Optimizers via Block-wise Quantization</i>, ICLR 2022,
 * arXiv:2110.02861): each state is stored as one byte per element, a code into a dynamic quantization map, with one
 * F32 absmax per block of 256 elements; tensors with fewer than {@code minEightBitSize} (default 4096) elements keep
 * 32-bit state.
 *
 * <p>The same kernel as {@link Adam}; only the default weight decay differs. {@code amsgrad} is not implemented.
 *
 * <p>Defaults (upstream's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. Configure through
 * {@link #builder()}, for example {@code AdamW8bit.builder().params(model).lr(1e-3f).build()}; per-parameter
 * overrides through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class AdamW8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<AdamW8bit> builder() {
        return new AdamBuilder<>(AdamW8bit.class, Variant.EIGHT_BIT, Defaults.ADAMW, AdamW8bit::new);
    }

    /**
     * AdamW8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public AdamW8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private AdamW8bit(AdamBuilder<AdamW8bit> builder) {
        super(OptimizerKind.ADAMW, builder.setup());
    }
}
