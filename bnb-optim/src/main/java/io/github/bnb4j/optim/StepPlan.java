package io.github.bnb4j.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.optim.Hyperparameters;
import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * One step's work, fully validated before anything changes: the parameters that have a gradient, each with the
 * configuration and kernel scalars in effect, grouped into batches that one kernel call can update together
 * (same device, parameter dtype, state width and scalars).
 */
final class StepPlan {
    /** One parameter's update: {@code step} is its step count after this update. */
    record Update(ParamRef ref, Tensor grad, OptimConfig config, StateBits bits, int step, Hyperparameters hyper) {
    }

    /** What the tensors of one kernel call must share. */
    record BatchKey(Device device, DType dtype, StateBits bits, Hyperparameters hyper) {
    }

    private final Map<BatchKey, List<Update>> batches;

    private StepPlan(Map<BatchKey, List<Update>> batches) {
        this.batches = batches;
    }

    /**
     * Plans a step of {@code optimizer}.
     *
     * @throws IllegalStateException    if a parameter or gradient is closed
     * @throws IllegalArgumentException if a gradient does not match its parameter
     */
    static StepPlan of(Optimizer optimizer) {
        Map<BatchKey, List<Update>> batches = new LinkedHashMap<>();
        for (ParamRef ref : optimizer.paramRefs()) {
            Tensor value = ref.param().value();
            Tensor grad = ref.param().grad();
            if (grad == null) {
                continue; // upstream skips parameters without a gradient
            }
            requireUsable(ref, value, grad);
            ParamState state = optimizer.stateOf(ref.param());
            OptimConfig config = optimizer.effectiveConfig(ref);
            StateBits bits = state != null ? state.bits() : config.stateBitsFor(value.numel());
            int step = (state != null ? state.step() : 0) + 1;
            Hyperparameters hyper = optimizer.kernelHyperparameters(config, step);
            Update update = new Update(ref, grad, config, bits, step, hyper);
            batches.computeIfAbsent(new BatchKey(value.device(), value.dtype(), bits, hyper), k -> new ArrayList<>())
                    .add(update);
        }
        return new StepPlan(batches);
    }

    Map<BatchKey, List<Update>> batches() {
        return batches;
    }

    List<Update> updates() {
        List<Update> all = new ArrayList<>();
        batches.values().forEach(all::addAll);
        return all;
    }

    private static void requireUsable(ParamRef ref, Tensor value, Tensor grad) {
        if (value.isClosed()) {
            throw new IllegalStateException(ref.describe() + " is closed");
        }
        if (grad.isClosed()) {
            throw new IllegalStateException("the gradient of " + ref.describe() + " is closed");
        }
        if (!Arrays.equals(grad.shape(), value.shape()) || grad.dtype() != value.dtype()
                || !grad.device().equals(value.device())) {
            throw new IllegalArgumentException("the gradient of " + ref.describe() + " must be " + value.dtype() + " "
                    + Arrays.toString(value.shape()) + " on " + value.device() + ", got " + grad);
        }
    }
}
