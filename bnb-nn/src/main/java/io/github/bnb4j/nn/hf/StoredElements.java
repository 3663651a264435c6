package io.github.bnb4j.nn.hf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.HalfFloats;

/**
 * Converts the elements of a checkpoint tensor, chunk by chunk, from the dtype it is stored in to the dtype it is
 * loaded as: the dtypes bnb4j tensors do not hold are widened without loss (F64 → F32 is the one rounding step,
 * F8_E4M3/F8_E5M2 → BF16 exactly, I16/U16 → I32, U32/U64 → I64, BOOL → U8), and floating-point weights can be
 * loaded in another float dtype (round to nearest even).
 */
final class StoredElements {
    private StoredElements() {
    }

    /** The dtype a tensor stored as {@code stored} is loaded as when the caller does not ask for one. */
    static DType loadedDtype(DType stored) {
        return switch (stored) {
            case F32, F16, BF16, U8, I8, I32, I64 -> stored;
            case F64 -> DType.F32;
            case F8_E4M3, F8_E5M2 -> DType.BF16;
            case I16, U16 -> DType.I32;
            case U32, U64 -> DType.I64;
            case BOOL -> DType.U8;
        };
    }

    /** Whether {@code stored} can be loaded as {@code target}: its own loaded dtype, or float to F32/F16/BF16. */
    static boolean convertible(DType stored, DType target) {
        return target == loadedDtype(stored) || stored.isFloatingPoint() && isNativeFloat(target);
    }

    static boolean isNativeFloat(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16;
    }

    /**
     * Converts {@code count} elements from {@code src} (little-endian, {@code stored}) into {@code dst}
     * (little-endian, {@code target}).
     *
     * @param what names the tensor in the error of an unsigned 64-bit value that does not fit I64
     * @throws IllegalArgumentException if a U64 value exceeds {@link Long#MAX_VALUE}
     */
    static void convert(ByteBuffer src, DType stored, ByteBuffer dst, DType target, int count, String what) {
        src = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        dst.order(ByteOrder.LITTLE_ENDIAN);
        if (isNativeFloat(target)) {
            for (int i = 0; i < count; i++) {
                putFloat(dst, target, getFloat(src, stored));
            }
            return;
        }
        for (int i = 0; i < count; i++) {
            switch (stored) {
                case I16 -> dst.putInt(src.getShort());
                case U16 -> dst.putInt(Short.toUnsignedInt(src.getShort()));
                case U32 -> dst.putLong(Integer.toUnsignedLong(src.getInt()));
                case U64 -> dst.putLong(requireSigned(src.getLong(), what));
                case BOOL -> dst.put(src.get() != 0 ? (byte) 1 : (byte) 0);
                default -> throw new IllegalArgumentException(what + ": cannot load " + stored + " as " + target);
            }
        }
    }

    private static long requireSigned(long u64, String what) {
        if (u64 < 0) {
            throw new IllegalArgumentException(what + ": U64 value " + Long.toUnsignedString(u64)
                    + " does not fit the I64 it is loaded as");
        }
        return u64;
    }

    private static float getFloat(ByteBuffer src, DType stored) {
        return switch (stored) {
            case F32 -> src.getFloat();
            case F64 -> (float) src.getDouble();
            case F16 -> HalfFloats.f16ToFloat(src.getShort());
            case BF16 -> HalfFloats.bf16ToFloat(src.getShort());
            case F8_E4M3 -> e4m3ToFloat(src.get());
            case F8_E5M2 -> e5m2ToFloat(src.get());
            default -> throw new IllegalArgumentException(stored + " is not a floating-point dtype");
        };
    }

    private static void putFloat(ByteBuffer dst, DType target, float v) {
        switch (target) {
            case F32 -> dst.putFloat(v);
            case F16 -> dst.putShort(HalfFloats.floatToF16(v));
            case BF16 -> dst.putShort(HalfFloats.floatToBf16(v));
            default -> throw new IllegalArgumentException(target + " is not F32, F16 or BF16");
        }
    }

    /** torch's {@code float8_e4m3fn}: bias 7, no infinities, S.1111.111 is NaN. */
    static float e4m3ToFloat(byte b) {
        int exp = (b >> 3) & 0xf;
        int man = b & 0x7;
        float sign = b < 0 ? -1f : 1f;
        if (exp == 0xf && man == 0x7) {
            return Float.NaN;
        }
        return sign * (exp == 0 ? man / 8f * 0x1p-6f : (1 + man / 8f) * (float) Math.scalb(1.0, exp - 7));
    }

    /** torch's {@code float8_e5m2}: IEEE 754 layout, bias 15, with infinities and NaNs. */
    static float e5m2ToFloat(byte b) {
        // E5M2 is the high byte of an IEEE half.
        return HalfFloats.f16ToFloat((short) ((b & 0xff) << 8));
    }
}
