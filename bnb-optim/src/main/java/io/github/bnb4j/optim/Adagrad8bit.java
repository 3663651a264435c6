package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * Adagrad (Duchi, Hazan &amp; Singer, <i>Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization</i>, JMLR 2011).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * g' = g + wd·p                             (if wd &gt; 0; coupled L2)
 * s  = s + g'²
 * p  = p − lr · g' / (√s + eps)
 * </pre>
 *
 * <p>8-bit blockwise state (Dettmers et al., <i>8-bit Optimizers via Block-wise Quantization</i>, ICLR 2022,
 * arXiv:2110.02861): each state is stored as one byte per element, a code into a dynamic quantization map, with one
 * F32 absmax per block of 256 elements; tensors with fewer than {@code minEightBitSize} (default 4096) elements keep
 * 32-bit state.
 *
 * <p>A nonzero {@code lrDecay} or {@code initialAccumulatorValue} is refused, as upstream. As upstream, the 8-bit
 * kernel divides the raw gradient (without weight decay) in the last line.
 *
 * <p>Defaults (upstream's): lr 1e-2, weight decay 0, eps 1e-10. Configure through {@link #builder()}, for example
 * {@code Adagrad8bit.builder().params(model).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class Adagrad8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdagradBuilder<Adagrad8bit> builder() {
        return new AdagradBuilder<>(Adagrad8bit.class, Variant.EIGHT_BIT, Defaults.ADAGRAD, Adagrad8bit::new);
    }

    /**
     * Adagrad8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Adagrad8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Adagrad8bit(AdagradBuilder<Adagrad8bit> builder) {
        super(OptimizerKind.ADAGRAD, builder.setup());
    }
}
