package io.github.bnb4j.nn;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * Checks the non-linear layers share; each throws an {@link IllegalArgumentException} naming the module (its dotted
 * path), the argument and its value. They read a few fields; messages are built on failure only.
 */
final class LayerChecks {
    private LayerChecks() {
    }

    /** @throws IllegalArgumentException unless {@code t} has {@code like}'s dtype, shape and device */
    static void requireLike(Module module, String name, Tensor t, Tensor like) {
        requireShape(module, name, t, like.dtype(), like.shape(), like.device());
    }

    /** @throws IllegalArgumentException unless {@code t} is {@code dtype} of {@code shape} on {@code device} */
    static void requireShape(Module module, String name, Tensor t, DType dtype, long[] shape, Device device) {
        if (t.dtype() != dtype || !t.device().equals(device) || !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(module.describe() + ": " + name + " must be " + dtype + " "
                    + Arrays.toString(shape) + " on " + device + ", got " + t);
        }
    }

    /** @throws IllegalArgumentException unless {@code t} is F32, F16 or BF16 of any shape */
    static void requireFloat(Module module, String name, Tensor t) {
        if (!LinearMath.isFloat(t.dtype())) {
            throw new IllegalArgumentException(module.describe() + ": " + name + " must be F32, F16 or BF16, got "
                    + t);
        }
    }

    /** @throws IllegalArgumentException unless {@code indices} are I32 or I64 on {@code device} */
    static void requireIndices(Module module, Tensor indices, Device device) {
        DType t = indices.dtype();
        if ((t != DType.I32 && t != DType.I64) || !indices.device().equals(device)) {
            throw new IllegalArgumentException(module.describe() + ": input must be I32 or I64 indices on " + device
                    + ", got " + indices);
        }
    }
}
