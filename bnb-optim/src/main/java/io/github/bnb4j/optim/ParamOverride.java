package io.github.bnb4j.optim;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * A partial {@link OptimConfig}: the settings one parameter (through {@link GlobalOptimManager}) or one
 * parameter group (through a builder's {@code group(...)}) changes; a null component keeps the inherited value.
 * Values are range-checked as in {@link OptimConfig}. Build with {@link #builder()}:
 * <pre>{@code
 * manager.override(embedding, ParamOverride.builder().optimBits(StateBits.THIRTY_TWO).lr(1e-4f).build());
 * }</pre>
 *
 * @param lr                 see {@link OptimConfig#lr()}
 * @param beta1              see {@link OptimConfig#beta1()}
 * @param beta2              see {@link OptimConfig#beta2()}
 * @param beta3              see {@link OptimConfig#beta3()}
 * @param alpha              see {@link OptimConfig#alpha()}
 * @param tAlpha             see {@link OptimConfig#tAlpha()}
 * @param tBeta3             see {@link OptimConfig#tBeta3()}
 * @param eps                see {@link OptimConfig#eps()}
 * @param weightDecay        see {@link OptimConfig#weightDecay()}
 * @param optimBits          see {@link OptimConfig#optimBits()}
 * @param minEightBitSize    see {@link OptimConfig#minEightBitSize()}
 * @param maxUnorm           see {@link OptimConfig#maxUnorm()}
 * @param percentileClipping see {@link OptimConfig#percentileClipping()}
 * @param skipZeros          see {@link OptimConfig#skipZeros()}
 */
public record ParamOverride(Float lr, Float beta1, Float beta2, Float beta3, Float alpha, Integer tAlpha,
        Integer tBeta3, Float eps, Float weightDecay, StateBits optimBits, Long minEightBitSize, Float maxUnorm,
        Integer percentileClipping, Boolean skipZeros) {

    /** Changes nothing. */
    public static final ParamOverride NONE = builder().build();

    /** @throws IllegalArgumentException naming the first value out of range */
    public ParamOverride {
        if (lr != null) {
            ConfigChecks.nonNegative("lr", lr);
        }
        if (beta1 != null) {
            ConfigChecks.beta("beta1", beta1);
        }
        if (beta2 != null) {
            ConfigChecks.beta("beta2", beta2);
        }
        if (beta3 != null) {
            ConfigChecks.beta("beta3", beta3);
        }
        if (alpha != null) {
            ConfigChecks.nonNegative("alpha", alpha);
        }
        if (tAlpha != null) {
            ConfigChecks.nonNegative("tAlpha", tAlpha);
        }
        if (tBeta3 != null) {
            ConfigChecks.nonNegative("tBeta3", tBeta3);
        }
        if (eps != null) {
            ConfigChecks.nonNegative("eps", eps);
        }
        if (weightDecay != null) {
            ConfigChecks.nonNegative("weightDecay", weightDecay);
        }
        if (minEightBitSize != null) {
            ConfigChecks.nonNegative("minEightBitSize", minEightBitSize);
        }
        if (maxUnorm != null) {
            ConfigChecks.nonNegative("maxUnorm", maxUnorm);
        }
        if (percentileClipping != null) {
            ConfigChecks.percentile(percentileClipping);
        }
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Maps upstream's string keys ({@code GlobalOptimManager.override_config(p, key, value)}) to the typed form:
     * {@code lr, betas} (two or three numbers, as a {@code float[]}, {@code double[]}, a {@code List} of numbers,
     * or upstream's string form {@code "(0.9, 0.995)"}), {@code beta1, beta2, beta3, alpha, t_alpha, t_beta3,
     * eps, weight_decay, optim_bits} (8 or 32), {@code min_8bit_size, max_unorm, percentile_clipping,
     * skip_zeros}.
     *
     * @throws IllegalArgumentException for an unknown key or a value of the wrong type or out of range
     */
    public static ParamOverride fromUpstream(Map<String, ?> config) {
        Objects.requireNonNull(config, "config");
        Builder b = builder();
        config.forEach((key, value) -> b.set(key, value));
        return b.build();
    }

    /** True when nothing is overridden. */
    public boolean isEmpty() {
        return equals(NONE);
    }

    /**
     * {@code base} with every set component of this override replaced.
     *
     * @throws IllegalArgumentException if the combination is invalid
     */
    public OptimConfig applyTo(OptimConfig base) {
        Objects.requireNonNull(base, "base");
        return new OptimConfig(or(lr, base.lr()), or(beta1, base.beta1()), or(beta2, base.beta2()),
                or(beta3, base.beta3()), or(alpha, base.alpha()), or(tAlpha, base.tAlpha()),
                or(tBeta3, base.tBeta3()), or(eps, base.eps()), or(weightDecay, base.weightDecay()),
                or(optimBits, base.optimBits()), or(minEightBitSize, base.minEightBitSize()),
                or(maxUnorm, base.maxUnorm()), or(percentileClipping, base.percentileClipping()),
                or(skipZeros, base.skipZeros()));
    }

    /** This override with the components {@code later} sets replaced by {@code later}'s values. */
    public ParamOverride merge(ParamOverride later) {
        Objects.requireNonNull(later, "later");
        Map<ConfigField, Object> values = setComponents();
        values.putAll(later.setComponents());
        return fromValues(values);
    }

    /** The set components, by field, in declaration order. */
    Map<ConfigField, Object> setComponents() {
        Map<ConfigField, Object> values = new EnumMap<>(ConfigField.class);
        for (ConfigField field : ConfigField.values()) {
            Object value = field.get(this);
            if (value != null) {
                values.put(field, value);
            }
        }
        return values;
    }

    static ParamOverride fromValues(Map<ConfigField, ?> values) {
        Builder b = builder();
        values.forEach((field, value) -> field.set(b, value));
        return b.build();
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** Collects the components of a {@link ParamOverride}; unset components stay null. */
    public static final class Builder {
        Float lr;
        Float beta1;
        Float beta2;
        Float beta3;
        Float alpha;
        Integer tAlpha;
        Integer tBeta3;
        Float eps;
        Float weightDecay;
        StateBits optimBits;
        Long minEightBitSize;
        Float maxUnorm;
        Integer percentileClipping;
        Boolean skipZeros;

        private Builder() {
        }

        /** @return this builder */
        public Builder lr(float value) {
            lr = value;
            return this;
        }

        /** Sets beta1 and beta2. @return this builder */
        public Builder betas(float b1, float b2) {
            beta1 = b1;
            beta2 = b2;
            return this;
        }

        /** Sets beta1, beta2 and beta3 (AdEMAMix). @return this builder */
        public Builder betas(float b1, float b2, float b3) {
            betas(b1, b2);
            beta3 = b3;
            return this;
        }

        /** @return this builder */
        public Builder beta1(float value) {
            beta1 = value;
            return this;
        }

        /** @return this builder */
        public Builder beta2(float value) {
            beta2 = value;
            return this;
        }

        /** @return this builder */
        public Builder beta3(float value) {
            beta3 = value;
            return this;
        }

        /** @return this builder */
        public Builder alpha(float value) {
            alpha = value;
            return this;
        }

        /** @return this builder */
        public Builder tAlpha(int value) {
            tAlpha = value;
            return this;
        }

        /** @return this builder */
        public Builder tBeta3(int value) {
            tBeta3 = value;
            return this;
        }

        /** @return this builder */
        public Builder eps(float value) {
            eps = value;
            return this;
        }

        /** @return this builder */
        public Builder weightDecay(float value) {
            weightDecay = value;
            return this;
        }

        /** @return this builder */
        public Builder optimBits(StateBits value) {
            optimBits = Objects.requireNonNull(value, "value");
            return this;
        }

        /** @return this builder */
        public Builder minEightBitSize(long value) {
            minEightBitSize = value;
            return this;
        }

        /** @return this builder */
        public Builder maxUnorm(float value) {
            maxUnorm = value;
            return this;
        }

        /** @return this builder */
        public Builder percentileClipping(int value) {
            percentileClipping = value;
            return this;
        }

        /** @return this builder */
        public Builder skipZeros(boolean value) {
            skipZeros = value;
            return this;
        }

        /**
         * Sets a component by its upstream key; see {@link ParamOverride#fromUpstream(Map)}.
         *
         * @return this builder
         * @throws IllegalArgumentException for an unknown key or a value of the wrong type
         */
        public Builder set(String upstreamKey, Object value) {
            Objects.requireNonNull(upstreamKey, "upstreamKey");
            Objects.requireNonNull(value, "value");
            if ("betas".equals(upstreamKey)) {
                float[] betas = UpstreamValues.floats(upstreamKey, value);
                if (betas.length != 2 && betas.length != 3) {
                    throw new IllegalArgumentException("betas must have 2 or 3 values, got " + betas.length);
                }
                betas(betas[0], betas[1]);
                if (betas.length == 3) {
                    beta3 = betas[2];
                }
                return this;
            }
            ConfigField.byKey(upstreamKey).set(this, value);
            return this;
        }

        /**
         * The override.
         *
         * @throws IllegalArgumentException naming the first value out of range
         */
        public ParamOverride build() {
            return new ParamOverride(lr, beta1, beta2, beta3, alpha, tAlpha, tBeta3, eps, weightDecay, optimBits,
                    minEightBitSize, maxUnorm, percentileClipping, skipZeros);
        }
    }
}
