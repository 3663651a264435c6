package io.github.bnb4j.core;

import io.github.bnb4j.core.internal.NativeRuntime;

/**
 * Element type of a {@link Tensor}. The ordinal-independent {@link #code()} is the C API's
 * {@code BNB_*} dtype constant; {@link #safetensorsName()} is the name used in safetensors headers.
 *
 * <p>Every fixed-width dtype of the safetensors format is here, so that any checkpoint can be read into
 * tensors; the kernels take only the dtypes that have a C API code ({@link #hasNativeCode()}), and say
 * so when given another.
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
    I64(NativeRuntime.DTYPE_I64, 8, "I64", false),
    // Storage-only dtypes: tensors of them can be held, copied, read and written, but no kernel takes them.
    /** IEEE 754 binary64. */
    F64(DType.NO_NATIVE_CODE, 8, "F64", true),
    /** 16-bit signed integer. */
    I16(DType.NO_NATIVE_CODE, 2, "I16", false),
    /** 16-bit unsigned integer. */
    U16(DType.NO_NATIVE_CODE, 2, "U16", false),
    /** 32-bit unsigned integer. */
    U32(DType.NO_NATIVE_CODE, 4, "U32", false),
    /** 64-bit unsigned integer. */
    U64(DType.NO_NATIVE_CODE, 8, "U64", false),
    /** Boolean, one byte per element (0 or 1). */
    BOOL(DType.NO_NATIVE_CODE, 1, "BOOL", false),
    /** 8-bit float, 4 exponent and 3 mantissa bits (OCP FP8 E4M3). */
    F8_E4M3(DType.NO_NATIVE_CODE, 1, "F8_E4M3", true),
    /** 8-bit float, 5 exponent and 2 mantissa bits (OCP FP8 E5M2). */
    F8_E5M2(DType.NO_NATIVE_CODE, 1, "F8_E5M2", true);

    /** The code of a dtype the C API does not take. */
    private static final int NO_NATIVE_CODE = -1;

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

    /**
     * The C API constant ({@code BNB_F32}, ...).
     *
     * @throws UnsupportedOperationException for a storage-only dtype (see {@link #hasNativeCode()})
     */
    public int code() {
        if (code == NO_NATIVE_CODE) {
            throw new UnsupportedOperationException("dtype " + this + " is storage only: no kernel takes it;"
                    + " kernels take F32, F16, BF16, U8, I8, I32 and I64");
        }
        return code;
    }

    /** True for the dtypes the C API takes: F32, F16, BF16, U8, I8, I32, I64. */
    public boolean hasNativeCode() {
        return code != NO_NATIVE_CODE;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Name in a safetensors header ("F32", "BF16", ...). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** True for the floating-point dtypes: F32, F16, BF16, F64, F8_E4M3 and F8_E5M2. */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * The dtype a safetensors header names.
     *
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is not one of the supported names
     */
    public static DType fromSafetensorsName(String name) {
        java.util.Objects.requireNonNull(name, "name");
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("dtype must be one of " + java.util.Arrays.toString(values())
                + ", got \"" + name + "\"");
    }
}
