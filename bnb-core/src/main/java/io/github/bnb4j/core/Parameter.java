package io.github.bnb4j.core;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A trainable value and its gradient, as optimizers see them. The parameter owns its value; the
 * gradient is owned by whoever set it unless set with {@link #setGrad(Tensor)} (which transfers it).
 *
 * <p>Threads: {@link #close()} may race a native call that uses the value or the gradient (an optimizer
 * step on another thread): the tensors' use counts keep their memory alive until the call returns, and the
 * call or the next one throws {@link IllegalStateException}. {@link #setGrad} and {@link #close} are not
 * meant to be called concurrently with each other.
 */
public final class Parameter implements AutoCloseable {
    private static final Set<DType> VALUE_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private final String name;
    private final Tensor value;
    private Tensor grad;

    /**
     * @param name  for messages and checkpoints
     * @param value the tensor this parameter owns (F32, F16 or BF16)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code value} is not an F32, F16 or BF16 tensor
     */
    public Parameter(String name, Tensor value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (!VALUE_TYPES.contains(value.dtype())) {
            throw new IllegalArgumentException("value must be an F32, F16 or BF16 tensor, got " + value.dtype());
        }
        this.name = name;
        this.value = value;
    }

    /** The name given at creation. */
    public String name() {
        return name;
    }

    /** The value tensor. */
    public Tensor value() {
        return value;
    }

    /** The gradient, or null when none was set. */
    public Tensor grad() {
        return grad;
    }

    /**
     * Sets the gradient, taking ownership; the previous gradient is closed.
     *
     * @throws IllegalArgumentException if shape, dtype or device differ from the value's
     */
    public void setGrad(Tensor gradient) {
        if (gradient != null && (!Arrays.equals(gradient.shape(), value.shape()) || gradient.dtype() != value.dtype()
                || !gradient.device().equals(value.device()))) {
            throw new IllegalArgumentException("grad of " + name + " must be " + value.dtype() + " "
                    + Arrays.toString(value.shape()) + " on " + value.device() + ", got " + gradient);
        }
        if (grad != null && grad != gradient) {
            grad.close();
        }
        grad = gradient;
    }

    /** Zeroes the gradient if there is one. */
    public void zeroGrad() {
        if (grad != null) {
            grad.fillZero();
        }
    }

    /** Closes value and gradient. */
    @Override
    public void close() {
        value.close();
        if (grad != null) {
            grad.close();
        }
    }
}
