package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * AdEMAMix (Pagliardini, Ablin &amp; Grangier, <i>The AdEMAMix Optimizer: Better, Faster, Older</i>, 2024,
 * arXiv:2409.03137): Adam with a second, slow EMA of the gradient mixed into the update.
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * m1 = β1·m1 + (1 − β1)·g                 (fast EMA)
 * m2 = β3ₜ·m2 + (1 − β3ₜ)·g               (slow EMA)
 * ν  = β2·ν + (1 − β2)·g²
 * p  = p − lr · (m1/(1 − β1^t) + αₜ·m2) / (√ν / √(1 − β2^t) + eps)
 * p  = p · (1 − lr·wd)                    (if wd &gt; 0)
 * αₜ  = min(t·α / tAlpha, α)               (α when tAlpha = 0)
 * β3ₜ = min(exp(ln β1·ln β3 / ((1 − s)·ln β3 + s·ln β1)), β3),  s = t / tBeta3   (β3 when tBeta3 = 0)
 * </pre>
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>m1 and m2 are stacked in one state of shape {@code [2, ...shape]}. The schedules are evaluated per parameter and
 * step in Java and passed to the kernel.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link AdEMAMix8bit}, {@link AdEMAMix32bit},
 * {@link PagedAdEMAMix}, {@link PagedAdEMAMix8bit}, {@link PagedAdEMAMix32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-3, betas (0.9, 0.999, 0.9999), alpha 5, no schedules, eps 1e-8, weight decay 1e-2.
 * Configure through {@link #builder()}, for example {@code AdEMAMix.builder().params(model).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and
 * checkpoint semantics.
 */
public final class AdEMAMix extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdEMAMixBuilder<AdEMAMix> builder() {
        return new AdEMAMixBuilder<>(AdEMAMix.class, Variant.STANDARD, Defaults.ADEMAMIX, AdEMAMix::new);
    }

    /**
     * AdEMAMix with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public AdEMAMix(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private AdEMAMix(AdEMAMixBuilder<AdEMAMix> builder) {
        super(OptimizerKind.ADEMAMIX, builder.setup());
    }
}
