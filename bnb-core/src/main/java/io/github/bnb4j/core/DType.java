package io.github.bnb4j.core;

import io.github.bnb4j.core.internal.NativeRuntime;

/**
 * Element type of a {@link Tensor}. The ordinal-independent {@link #code()} is the C API's
 * {@code BNB_*} dtype constant; {@link #safetensorsName()} is the name used in safetensors headers.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(NativeRuntime.DTYPE_F32, 4, "F32", true),
    /** IEEE 754 binary16, held on the Java side as {@code short} bit patterns. */
    F16(NativeRuntime.DTYPE_F16, 2, "F16", true),
    /** bfloat16 (the upper half of a binary32), held on the Java side as {@code short} bit patterns. */
    BF16(NativeRuntime.DTYPE_BF16, 2, "BF16", true),
    /** Unsigned byte. */
    U8(NativeRuntime.DTYPE_U8, 1, "U8", false),
    /** Signed byte. */
    I8(NativeRuntime.DTYPE_I8, 1, "I8", false),
    /** 32-bit signed integer. */
    I32(NativeRuntime.DTYPE_I32, 4, "I32", false),
    /** 64-bit signed integer. */
    I64(NativeRuntime.DTYPE_I64, 8, "I64", false);

    private final int code;
    private final int byteSize;
    private final String safetensorsName;
    private final boolean floatingPoint;

    DType(int code, int byteSize, String safetensorsName, boolean floatingPoint) {
        this.code = code;
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
        this.floatingPoint = floatingPoint;
    }

    /** The C API constant ({@code BNB_F32}, ...). */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Name in a safetensors header ("F32", "BF16", ...). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** True for F32, F16 and BF16. */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * The dtype a safetensors header names.
     *
     * @throws IllegalArgumentException if {@code name} is not one of the supported names
     */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("dtype must be one of " + java.util.Arrays.toString(values())
                + ", got \"" + name + "\"");
    }
}
