package io.github.bnb4j.optim;

import java.util.List;
import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;

/**
 * Parameters that share a configuration (a torch "param group"). The parameter list is fixed; the
 * configuration may be replaced between steps, for example by a learning-rate schedule.
 */
public final class ParamGroup {
    private final List<Parameter> params;
    private final Device device;
    private volatile OptimConfig config;

    ParamGroup(List<Parameter> params, Device device, OptimConfig config) {
        this.params = List.copyOf(params);
        this.device = device;
        this.config = config;
    }

    /** The parameters, in the order given; unmodifiable. */
    public List<Parameter> params() {
        return params;
    }

    /** The device all parameters of this group live on. */
    public Device device() {
        return device;
    }

    /** The group's configuration (per-parameter overrides of {@link GlobalOptimManager} come on top). */
    public OptimConfig config() {
        return config;
    }

    /**
     * Replaces the configuration from the next step on. The width of state already allocated does not change.
     *
     * @throws NullPointerException if {@code newConfig} is null
     */
    public void setConfig(OptimConfig newConfig) {
        config = Objects.requireNonNull(newConfig, "newConfig");
    }

    /**
     * Sets the learning rate from the next step on.
     *
     * @throws IllegalArgumentException if {@code lr} is negative, NaN or infinite
     */
    public void setLr(float lr) {
        config = config.withLr(lr);
    }
}
