package io.github.bnb4j.optim;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;

import io.github.bnb4j.core.Parameter;

/**
 * Per-parameter configuration overrides (upstream's {@code GlobalOptimManager}), for example 32-bit state for
 * an embedding while the rest of the model uses 8-bit:
 * <pre>{@code
 * GlobalOptimManager manager = GlobalOptimManager.getInstance();
 * manager.override(embedding, ParamOverride.builder().optimBits(StateBits.THIRTY_TWO).build());
 * Adam8bit adam = new Adam8bit(model.parameters());   // uses the process-wide manager
 * }</pre>
 *
 * <p>Use the process-wide instance ({@link #getInstance()}, which optimizers use unless their builder is given
 * another) or create one per training run with {@code new GlobalOptimManager()}. An optimizer asks its manager
 * at every step, so overrides made after the optimizer was created, or after {@link #registerParameters},
 * apply from the next step on (upstream issue #1269). An override that changes the state width only takes
 * effect for parameters whose state does not exist yet.
 *
 * <p>As upstream, an override is found by parameter identity and, for parameters registered with
 * {@link #registerParameters} / {@link #registerParameterGroups}, also by their (group, index) position, so
 * that an override registered on one set of parameters carries over to parameters rebuilt in the same order
 * (upstream registers on the CPU before {@code .cuda()} creates new tensors). The identity entry wins where both
 * set a component. Parameters are held weakly. Thread-safe.
 */
public final class GlobalOptimManager {
    private static final GlobalOptimManager INSTANCE = new GlobalOptimManager();

    private final Map<Parameter, ParamOverride> byParameter = new WeakHashMap<>();
    private final Map<Parameter, Position> registered = new WeakHashMap<>();
    private final Map<Position, ParamOverride> byPosition = new HashMap<>();

    private record Position(int group, int index) {
    }

    /** An empty manager, independent of the process-wide one. */
    public GlobalOptimManager() {
    }

    /** The process-wide manager that optimizers use by default. */
    public static GlobalOptimManager getInstance() {
        return INSTANCE;
    }

    /** Forgets every override and registration (upstream's {@code initialize()}). */
    public synchronized void initialize() {
        byParameter.clear();
        registered.clear();
        byPosition.clear();
    }

    /**
     * Registers one group of parameters by position, copying overrides they already have to their positions.
     *
     * @throws NullPointerException if {@code params} or an element is null
     */
    public void registerParameters(List<Parameter> params) {
        Objects.requireNonNull(params, "params");
        registerParameterGroups(List.of(params));
    }

    /**
     * Registers parameter groups by (group, index) position; see the class comment.
     *
     * @throws NullPointerException if a list or an element is null
     */
    public synchronized void registerParameterGroups(List<List<Parameter>> groups) {
        Objects.requireNonNull(groups, "groups");
        for (int g = 0; g < groups.size(); g++) {
            List<Parameter> group = groups.get(g);
            for (int i = 0; i < group.size(); i++) {
                Parameter p = Objects.requireNonNull(group.get(i), "parameter");
                Position position = new Position(g, i);
                registered.put(p, position);
                ParamOverride existing = byParameter.get(p);
                if (existing != null) {
                    byPosition.put(position, existing);
                }
            }
        }
    }

    /**
     * Adds {@code override} to the parameter's override (components set in both take the new value).
     *
     * @throws NullPointerException if an argument is null
     */
    public synchronized void override(Parameter param, ParamOverride override) {
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(override, "override");
        ParamOverride merged = byParameter.getOrDefault(param, ParamOverride.NONE).merge(override);
        byParameter.put(param, merged);
        Position position = registered.get(param);
        if (position != null) {
            byPosition.put(position, byPosition.getOrDefault(position, ParamOverride.NONE).merge(override));
        }
    }

    /**
     * {@link #override(Parameter, ParamOverride)} for each parameter.
     *
     * @throws NullPointerException if an argument is null
     */
    public void override(Collection<Parameter> params, ParamOverride override) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(override, "override");
        for (Parameter p : params) {
            override(p, override);
        }
    }

    /**
     * Upstream's {@code override_config(p, key, value)}; see {@link ParamOverride#fromUpstream} for the keys.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException for an unknown key or a bad value
     */
    public void overrideConfig(Parameter param, String key, Object value) {
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        override(param, ParamOverride.builder().set(key, value).build());
    }

    /**
     * Upstream's {@code override_config(p, key_value_dict=...)}.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException for an unknown key or a bad value
     */
    public void overrideConfig(Parameter param, Map<String, ?> keyValues) {
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(keyValues, "keyValues");
        override(param, ParamOverride.fromUpstream(keyValues));
    }

    /**
     * Removes the parameter's overrides, by identity and by position.
     *
     * @throws NullPointerException if {@code param} is null
     */
    public synchronized void clearOverride(Parameter param) {
        Objects.requireNonNull(param, "param");
        byParameter.remove(param);
        Position position = registered.get(param);
        if (position != null) {
            byPosition.remove(position);
        }
    }

    /**
     * The override in effect for the parameter at (group, index) of an optimizer: the positional entry, then
     * the identity entry on top.
     *
     * @throws NullPointerException if {@code param} is null
     */
    public synchronized ParamOverride overrideFor(Parameter param, int group, int index) {
        Objects.requireNonNull(param, "param");
        ParamOverride positional = byPosition.getOrDefault(new Position(group, index), ParamOverride.NONE);
        return positional.merge(byParameter.getOrDefault(param, ParamOverride.NONE));
    }

    /** Sets the identity entry to exactly {@code override} (checkpoint restore); NONE removes it. */
    synchronized void replace(Parameter param, ParamOverride override) {
        if (override.isEmpty()) {
            byParameter.remove(param);
        } else {
            byParameter.put(param, override);
        }
    }
}
