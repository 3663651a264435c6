package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter, <i>Decoupled Weight Decay Regularization</i>,
 * ICLR 2019, arXiv:1711.05101).
 *
 * <p>The update rule is {@link Adam}'s (the same kernel): bnb4j, like bitsandbytes, decouples Adam's weight decay
 * too, so the two classes differ only in the default weight decay.
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>{@code amsgrad} is not implemented.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link AdamW8bit}, {@link AdamW32bit}, {@link PagedAdamW},
 * {@link PagedAdamW8bit}, {@link PagedAdamW32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. Configure through
 * {@link #builder()}, for example {@code AdamW.builder().params(model).lr(1e-3f).build()}; per-parameter overrides
 * through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class AdamW extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<AdamW> builder() {
        return new AdamBuilder<>(AdamW.class, Variant.STANDARD, Defaults.ADAMW, AdamW::new);
    }

    /**
     * AdamW with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public AdamW(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private AdamW(AdamBuilder<AdamW> builder) {
        super(OptimizerKind.ADAMW, builder.setup());
    }
}
