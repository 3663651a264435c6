package io.github.bnb4j.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * The arguments every optimizer takes; each family's builder adds its own (betas, momentum, ...). Values not
 * set keep the class's defaults (upstream's). Parameters are given as one group ({@link #params}) or as several
 * groups with their own settings ({@link #group}).
 *
 * @param <B> the concrete builder, returned by the setters
 * @param <O> the optimizer it builds
 */
public abstract class OptimizerBuilder<B extends OptimizerBuilder<B, O>, O extends Optimizer> {
    private final String className;
    private final Variant variant;
    private final OptimConfig defaults;
    private final Function<B, O> factory;
    private final List<List<Parameter>> groupParams = new ArrayList<>();
    private final List<ParamOverride> groupSettings = new ArrayList<>();
    /** The components the caller set; family builders add theirs here. */
    final ParamOverride.Builder settings = ParamOverride.builder();
    private GlobalOptimManager manager = GlobalOptimManager.getInstance();
    private boolean lrSet;

    OptimizerBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<B, O> factory) {
        this.className = type.getSimpleName();
        this.variant = variant;
        this.defaults = defaults;
        this.factory = factory;
    }

    /**
     * Adds one parameter group with the builder's settings.
     *
     * @return this builder
     * @throws NullPointerException if {@code params} is null
     */
    public B params(List<Parameter> params) {
        return group(params, ParamOverride.NONE);
    }

    /**
     * Adds one parameter group whose settings override the builder's (torch's per-group dict).
     *
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public B group(List<Parameter> params, ParamOverride groupOverride) {
        groupParams.add(new ArrayList<>(Objects.requireNonNull(params, "params")));
        groupSettings.add(Objects.requireNonNull(groupOverride, "groupOverride"));
        return self();
    }

    /**
     * Learning rate.
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public B lr(float lr) {
        settings.lr(ConfigChecks.nonNegative("lr", lr));
        lrSet = true;
        return self();
    }

    /**
     * Weight decay (decoupled or coupled depending on the family, see {@link OptimizerKind#weightDecayStyle()}).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public B weightDecay(float weightDecay) {
        settings.weightDecay(ConfigChecks.nonNegative("weightDecay", weightDecay));
        return self();
    }

    /**
     * State width (upstream {@code optim_bits}).
     *
     * @return this builder
     * @throws IllegalArgumentException if this class has a fixed width and {@code bits} is another
     */
    public B optimBits(StateBits bits) {
        Objects.requireNonNull(bits, "bits");
        if (variant.fixedBits() != null && variant.fixedBits() != bits) {
            throw new IllegalArgumentException("optimBits of " + className + " must be " + variant.fixedBits().bits()
                    + ", got " + bits.bits());
        }
        settings.optimBits(bits);
        return self();
    }

    /**
     * Tensors with fewer elements keep 32-bit state (upstream {@code min_8bit_size}, default 4096).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public B minEightBitSize(long minEightBitSize) {
        settings.minEightBitSize(ConfigChecks.nonNegative("minEightBitSize", minEightBitSize));
        return self();
    }

    /**
     * Clips each tensor's gradient norm to this percentile of its last 100 norms (default 100 = off).
     *
     * @return this builder
     * @throws IllegalArgumentException unless in [1, 100]
     */
    public B percentileClipping(int percentile) {
        settings.percentileClipping(ConfigChecks.percentile(percentile));
        return self();
    }

    /**
     * The override manager (default {@link GlobalOptimManager#getInstance()}).
     *
     * @return this builder
     * @throws NullPointerException if null
     */
    public B manager(GlobalOptimManager optimManager) {
        this.manager = Objects.requireNonNull(optimManager, "optimManager");
        return self();
    }

    /**
     * Creates the optimizer.
     *
     * @throws IllegalArgumentException if an argument is invalid or no parameters were given
     * @throws IllegalStateException    if a required argument was not set, or a parameter is closed
     */
    public O build() {
        return factory.apply(checked());
    }

    /** Runs {@link #checkArguments()}; for the classes' convenience constructors. */
    final B checked() {
        checkArguments();
        return self();
    }

    /** Family-specific argument checks, run by {@link #build()} before anything is created. */
    abstract void checkArguments();

    /** The class being built, for messages. */
    final String className() {
        return className;
    }

    final Variant variant() {
        return variant;
    }

    final boolean lrSet() {
        return lrSet;
    }

    /** The groups with their resolved configurations. */
    final OptimizerSetup setup() {
        OptimConfig base = settings.build().applyTo(defaults);
        if (variant.fixedBits() != null) {
            base = ParamOverride.builder().optimBits(variant.fixedBits()).build().applyTo(base);
        }
        List<OptimizerSetup.GroupSpec> groups = new ArrayList<>();
        for (int g = 0; g < groupParams.size(); g++) {
            groups.add(new OptimizerSetup.GroupSpec(groupParams.get(g), groupSettings.get(g).applyTo(base)));
        }
        return new OptimizerSetup(groups, manager, variant.paged());
    }

    @SuppressWarnings("unchecked")
    final B self() {
        return (B) this;
    }

    /** Defaults of a family with the common options at upstream's values. */
    static OptimConfig defaults(float lr, float beta1, float beta2, float eps, float weightDecay, float maxUnorm) {
        return new OptimConfig(lr, beta1, beta2, 0f, 0f, 0, 0, eps, weightDecay, StateBits.THIRTY_TWO,
                OptimConfig.DEFAULT_MIN_EIGHT_BIT_SIZE, maxUnorm, 100, false);
    }
}
