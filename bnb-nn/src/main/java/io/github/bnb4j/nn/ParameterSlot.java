package io.github.bnb4j.nn;

import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;

/**
 * A module's named place for one {@link Parameter}: the parameter it holds now (a move to another device puts a new
 * one there) and whether backward accumulates its gradient ({@link Module#requiresGrad(boolean)}). Layers read the
 * parameter through the slot on every call, so they always see the current one.
 */
public final class ParameterSlot {
    private final String name;
    private Parameter parameter;
    private boolean requiresGrad = true;

    ParameterSlot(String name, Parameter parameter) {
        this.name = name;
        this.parameter = parameter;
    }

    /** The name under which the module registered it (a state-dict key relative to the module). */
    public String name() {
        return name;
    }

    /** The parameter held now. */
    public Parameter parameter() {
        return parameter;
    }

    /** The parameter's value tensor. */
    public Tensor value() {
        return parameter.value();
    }

    /** Whether backward accumulates a gradient into it (false for a frozen parameter). */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    void requiresGrad(boolean value) {
        requiresGrad = value;
    }

    /** Puts {@code next} in the slot and closes the parameter it held (value and gradient). */
    void replace(Parameter next) {
        Parameter old = parameter;
        parameter = next;
        if (old != next) {
            old.close();
        }
    }

    /**
     * The gradient to accumulate into: the parameter's, or a new zero tensor set as its gradient on first use. The
     * new tensor is detached from any open {@link TensorScope}: the parameter owns it.
     */
    Tensor gradForAccumulation() {
        Tensor grad = parameter.grad();
        if (grad == null) {
            Tensor v = parameter.value();
            grad = TensorScope.detach(Tensor.zeros(v.dtype(), v.device(), v.shape()));
            parameter.setGrad(grad);
        }
        return grad;
    }
}
