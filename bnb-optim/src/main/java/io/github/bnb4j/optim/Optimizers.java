package io.github.bnb4j.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

import io.github.bnb4j.core.Parameter;

/**
 * Optimizers by the names Hugging Face transformers' {@code Trainer} takes in its {@code optim} argument
 * ({@code TrainingArguments.optim}, enum {@code OptimizerNames}), for code and configuration ported from Python:
 * <pre>{@code
 * Optimizer opt = Optimizers.byName("paged_adamw_32bit", params,
 *         ParamOverride.builder().lr(2e-5f).weightDecay(0.01f).build());
 * }</pre>
 *
 * <p>Every bitsandbytes name of {@code OptimizerNames} is accepted. transformers builds each of them as
 * {@code bnb.optim.AdamW}, {@code Lion}, {@code RMSprop} or {@code AdEMAMix} with {@code optim_bits} 8 when the name
 * contains "8bit" (else 32) and {@code is_paged} when it contains "paged"; here that is the class of the same
 * family, width and paging:
 * <table>
 * <caption>transformers name → bnb4j class</caption>
 * <tr><th>name</th><th>class</th></tr>
 * <tr><td>{@code adamw_bnb_8bit}, {@code adamw_8bit}</td><td>{@link AdamW8bit}</td></tr>
 * <tr><td>{@code paged_adamw_32bit}</td><td>{@link PagedAdamW32bit}</td></tr>
 * <tr><td>{@code paged_adamw_8bit}</td><td>{@link PagedAdamW8bit}</td></tr>
 * <tr><td>{@code lion_32bit}</td><td>{@link Lion32bit}</td></tr>
 * <tr><td>{@code lion_8bit}</td><td>{@link Lion8bit}</td></tr>
 * <tr><td>{@code paged_lion_32bit}</td><td>{@link PagedLion32bit}</td></tr>
 * <tr><td>{@code paged_lion_8bit}</td><td>{@link PagedLion8bit}</td></tr>
 * <tr><td>{@code rmsprop_bnb}, {@code rmsprop_bnb_32bit}</td><td>{@link RMSprop32bit}</td></tr>
 * <tr><td>{@code rmsprop_bnb_8bit}</td><td>{@link RMSprop8bit}</td></tr>
 * <tr><td>{@code ademamix}</td><td>{@link AdEMAMix32bit}</td></tr>
 * <tr><td>{@code ademamix_8bit}</td><td>{@link AdEMAMix8bit}</td></tr>
 * <tr><td>{@code paged_ademamix_32bit}</td><td>{@link PagedAdEMAMix32bit}</td></tr>
 * <tr><td>{@code paged_ademamix_8bit}</td><td>{@link PagedAdEMAMix8bit}</td></tr>
 * </table>
 *
 * <p>The hyper-parameters are the class's defaults (bitsandbytes') with {@code settings} on top. {@code Trainer}
 * passes its own: {@code lr = learning_rate} (default 5e-5), {@code betas = (adam_beta1, adam_beta2)} (0.9, 0.999),
 * {@code eps = adam_epsilon} (1e-8, not for Lion) and {@code weight_decay} (0); give them in {@code settings} to
 * train as {@code Trainer} does.
 */
public final class Optimizers {
    private static final Map<String, Supplier<OptimizerBuilder<?, ?>>> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("adamw_bnb_8bit", AdamW8bit::builder);
        BY_NAME.put("adamw_8bit", AdamW8bit::builder);
        BY_NAME.put("paged_adamw_32bit", PagedAdamW32bit::builder);
        BY_NAME.put("paged_adamw_8bit", PagedAdamW8bit::builder);
        BY_NAME.put("lion_32bit", Lion32bit::builder);
        BY_NAME.put("lion_8bit", Lion8bit::builder);
        BY_NAME.put("paged_lion_32bit", PagedLion32bit::builder);
        BY_NAME.put("paged_lion_8bit", PagedLion8bit::builder);
        BY_NAME.put("rmsprop_bnb", RMSprop32bit::builder);
        BY_NAME.put("rmsprop_bnb_32bit", RMSprop32bit::builder);
        BY_NAME.put("rmsprop_bnb_8bit", RMSprop8bit::builder);
        BY_NAME.put("ademamix", AdEMAMix32bit::builder);
        BY_NAME.put("ademamix_8bit", AdEMAMix8bit::builder);
        BY_NAME.put("paged_ademamix_32bit", PagedAdEMAMix32bit::builder);
        BY_NAME.put("paged_ademamix_8bit", PagedAdEMAMix8bit::builder);
    }

    private Optimizers() {
    }

    /** The accepted names, in the order of the table above; unmodifiable. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(BY_NAME.keySet());
    }

    /**
     * The optimizer transformers' {@code Trainer} builds for {@code optim=name}, over one parameter group, with the
     * class's defaults.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the name is not one of {@link #names()} (the message lists them), or as
     *                                  the class's builder
     * @throws IllegalStateException    if a parameter is closed
     */
    public static Optimizer byName(String name, List<Parameter> params) {
        return byName(name, params, ParamOverride.NONE);
    }

    /**
     * The optimizer transformers' {@code Trainer} builds for {@code optim=name}, over one parameter group, with
     * {@code settings} on top of the class's defaults.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the name is not one of {@link #names()} (the message lists them), if
     *                                  {@code settings} sets {@code optimBits} (the name fixes the width), or as the
     *                                  class's builder
     * @throws IllegalStateException    if a parameter is closed
     */
    public static Optimizer byName(String name, List<Parameter> params, ParamOverride settings) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(settings, "settings");
        Supplier<OptimizerBuilder<?, ?>> builder = BY_NAME.get(name);
        if (builder == null) {
            throw new IllegalArgumentException("name must be one of transformers' bitsandbytes optimizer names "
                    + BY_NAME.keySet() + ", got \"" + name + "\"");
        }
        if (settings.optimBits() != null) {
            throw new IllegalArgumentException("settings.optimBits must be unset: \"" + name + "\" fixes the state "
                    + "width, got " + settings.optimBits().bits());
        }
        return build(builder.get(), params, settings);
    }

    private static <B extends OptimizerBuilder<B, O>, O extends Optimizer> O build(OptimizerBuilder<B, O> builder,
            List<Parameter> params, ParamOverride settings) {
        return builder.group(params, settings).build();
    }
}
