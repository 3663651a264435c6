package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.NativeFourBit;

/**
 * The argument checks of {@link FourBit}, made in Java before anything is allocated or written, each naming the
 * argument, its value and what is allowed.
 */
final class FourBitArgs {
    /** Dtypes of values the 4-bit ops read and write. */
    static final Set<DType> FLOAT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private FourBitArgs() {
    }

    /** The sizes of a 4-bit weight: [n, k] = [out features, in features]. */
    record WeightShape(long n, long k) {
    }

    /** A float input of a 4-bit op. @throws UnsupportedOperationException naming dtype, op and device */
    static void requireFloat(Tensor t, String op) {
        if (!FLOAT_TYPES.contains(t.dtype())) {
            throw new UnsupportedOperationException(op + " does not support dtype " + t.dtype() + " on " + t.device()
                    + "; supported: " + FLOAT_TYPES);
        }
    }

    /** {@code state} as a 4-bit state. @throws IllegalArgumentException for an 8-bit state */
    static FourBitState fourBitState(QuantState state) {
        Objects.requireNonNull(state, "state");
        if (!(state instanceof FourBitState s)) {
            throw new IllegalArgumentException("state must be a 4-bit FourBitState, got " + state
                    + "; 8-bit states go to Blockwise");
        }
        return s;
    }

    /**
     * Checks the packed codes against a 4-bit state: U8 holding {@code ceil(numel / 2)} bytes (any shape, so
     * upstream's [bytes, 1] loads as it is) on the state's device.
     */
    static FourBitState requirePacked(Tensor packed, QuantState state) {
        Objects.requireNonNull(packed, "packed");
        FourBitState s = fourBitState(state);
        if (packed.dtype() != DType.U8 || packed.numel() != s.packedBytes()) {
            throw new IllegalArgumentException("packed must be a U8 tensor of " + s.packedBytes() + " bytes (ceil("
                    + s.numel() + " / 2) for the state's shape " + Arrays.toString(s.shape()) + "), got " + packed);
        }
        requireDevice(packed, s.device(), "packed");
        return s;
    }

    /** The [N, K] of a state used as a weight. @throws IllegalArgumentException if it is not [N >= 1, K >= 1] */
    static WeightShape weightShape(FourBitState s) {
        long[] shape = s.shape();
        if (shape.length != 2 || shape[0] < 1 || shape[1] < 1) {
            throw new IllegalArgumentException("state must describe a weight [N, K] with N, K >= 1 (upstream's"
                    + " [out_features, in_features]), got shape " + Arrays.toString(shape));
        }
        return new WeightShape(shape[0], shape[1]);
    }

    /** The row count of {@code x} [..., size]. @throws IllegalArgumentException if its last dimension differs */
    static long rows(Tensor x, long size, String name, String sizeName) {
        if (x.rank() < 1 || x.size(x.rank() - 1) != size) {
            throw new IllegalArgumentException(name + " must be [..., " + size + "] (" + sizeName + " = " + size
                    + " from the state's shape), got " + Arrays.toString(x.shape()));
        }
        return x.numel() / size;
    }

    /** A bias [n] of {@code dtype} on {@code device}. */
    static void requireBias(Tensor bias, long n, DType dtype, Device device) {
        Objects.requireNonNull(bias, "bias");
        if (bias.rank() != 1 || bias.size(0) != n || bias.dtype() != dtype) {
            throw new IllegalArgumentException("bias must be " + dtype + " [" + n + "], got " + bias);
        }
        requireDevice(bias, device, "bias");
    }

    /** An output of exactly {@code shape} and {@code dtype} on {@code device}. */
    static void requireOutput(Tensor out, long[] shape, DType dtype, Device device) {
        Objects.requireNonNull(out, "out");
        if (!Arrays.equals(out.shape(), shape) || out.dtype() != dtype) {
            throw new IllegalArgumentException("out must be " + dtype + " " + Arrays.toString(shape) + ", got " + out);
        }
        requireDevice(out, device, "out");
    }

    static void requireDevice(Tensor t, Device device, String name) {
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + t.device() + " but the state's tensors are on "
                    + device + "; move them to one device");
        }
    }

    /** {@code shape} with its last dimension replaced by {@code last}. */
    static long[] withLast(long[] shape, long last) {
        long[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /** The kernels' name for a quant type. */
    static NativeFourBit.Table table(QuantType type) {
        return switch (type) {
            case NF4 -> NativeFourBit.Table.NF4;
            case FP4 -> NativeFourBit.Table.FP4;
        };
    }

    /** {@code first} followed by {@code rest}, for a {@link io.github.bnb4j.core.TensorUse}. */
    static Tensor[] join(Tensor[] first, Tensor... rest) {
        Tensor[] all = Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }
}
