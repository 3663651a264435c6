package io.github.bnb4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tensor creation, copies and lifetime, run against every backend (see the subclasses). */
abstract class TensorConformance {
    abstract Device device();

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4097})
    void floatsRoundTripInEveryFloatType(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (i - n / 2) * 0.37f;
        }
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            try (Tensor t = Tensor.fromFloats(values, dtype, device(), n)) {
                float[] back = t.toFloatArray();
                for (int i = 0; i < n; i++) {
                    float want = switch (dtype) {
                        case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]));
                        case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
                        default -> values[i];
                    };
                    assertEquals(want, back[i], dtype + " element " + i);
                }
                assertEquals(device(), t.device());
                assertEquals((long) n * dtype.byteSize(), t.byteSize());
            }
        }
    }

    @Test
    void integerAndShortTypesRoundTrip() {
        try (Tensor u8 = Tensor.fromBytes(new byte[] {0, 1, (byte) 255}, DType.U8, device(), 3);
                Tensor i32 = Tensor.fromInts(new int[] {-5, 7}, device(), 2);
                Tensor i64 = Tensor.fromLongs(new long[] {Long.MIN_VALUE, 3}, device(), 1, 2);
                Tensor bf = Tensor.fromShorts(new short[] {0x3F80, (short) 0xC000}, DType.BF16, device(), 2)) {
            assertArrayEquals(new byte[] {0, 1, (byte) 255}, u8.toByteArray());
            assertArrayEquals(new int[] {-5, 7}, i32.toIntArray());
            assertArrayEquals(new long[] {Long.MIN_VALUE, 3}, i64.toLongArray());
            assertArrayEquals(new long[] {1, 2}, i64.shape());
            assertArrayEquals(new float[] {1f, -2f}, bf.toFloatArray());
            assertArrayEquals(new short[] {0x3F80, (short) 0xC000}, bf.toShortArray());
        }
    }

    @Test
    void zerosAreZeroAndCopiesAreIndependent() {
        try (Tensor z = Tensor.zeros(DType.F32, device(), 3, 5);
                Tensor src = Tensor.fromFloats(new float[] {1, 2, 3}, DType.F32, device(), 3);
                Tensor copy = src.to(device())) {
            assertArrayEquals(new float[15], z.toFloatArray());
            src.fillZero();
            assertArrayEquals(new float[] {1, 2, 3}, copy.toFloatArray());
            assertArrayEquals(new float[3], src.toFloatArray());
        }
    }

    @Test
    void byteBuffersRoundTrip() {
        ByteBuffer in = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(-9).flip();
        try (Tensor t = Tensor.fromBuffer(in, DType.I32, device(), 2)) {
            ByteBuffer out = t.toByteBuffer();
            assertEquals(7, out.getInt(0));
            assertEquals(-9, out.getInt(4));
        }
    }

    @Test
    void copiesBetweenCpuAndThisDevice() {
        try (Tensor host = Tensor.fromFloats(new float[] {4, 5, 6}, DType.F32, Device.cpu(), 3);
                Tensor here = host.to(device());
                Tensor back = here.to(Device.cpu())) {
            assertArrayEquals(new float[] {4, 5, 6}, back.toFloatArray());
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        Tensor t = Tensor.zeros(DType.F32, device(), 4);
        t.close();
        t.close();
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, t::toFloatArray);
        assertThrows(IllegalStateException.class, t::address);
        assertThrows(IllegalStateException.class, () -> t.to(Device.cpu()));
        try (Tensor other = Tensor.zeros(DType.F32, device(), 4)) {
            assertThrows(IllegalStateException.class, () -> other.copyFrom(t));
        }
    }

    @Test
    void scopeClosesWhatItMade() {
        Tensor kept;
        Tensor dropped;
        try (TensorScope scope = TensorScope.open()) {
            dropped = Tensor.zeros(DType.F32, device(), 2);
            kept = scope.keep(Tensor.zeros(DType.F32, device(), 2));
        }
        assertTrue(dropped.isClosed());
        assertTrue(!kept.isClosed());
        kept.close();
    }

    @Test
    void wrapViewsForeignMemoryWithoutOwningIt() {
        try (Tensor owner = Tensor.fromFloats(new float[] {1, 2, 3, 4}, DType.F32, device(), 4)) {
            Tensor view = Tensor.wrap(owner.address(), DType.F32, device(), 2, 2);
            assertEquals(MemoryKind.FOREIGN, view.memoryKind());
            assertArrayEquals(new float[] {1, 2, 3, 4}, view.toFloatArray());
            view.close();
            assertArrayEquals(new float[] {1, 2, 3, 4}, owner.toFloatArray(), "closing a view frees nothing");
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.fromFloats(new float[3], DType.F32, device(), 2, 2));
        assertTrue(e.getMessage().contains("holds 4 elements, but 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.empty(DType.F32, device(), -1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromFloats(new float[1], DType.I32, device(), 1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromShorts(new short[1], DType.F32, device(), 1));
        assertThrows(IllegalArgumentException.class,
                () -> Tensor.fromBuffer(ByteBuffer.allocate(3).order(ByteOrder.LITTLE_ENDIAN), DType.F32, device(), 1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(0L, DType.F32, device(), 4));
        try (Tensor a = Tensor.zeros(DType.F32, device(), 4); Tensor b = Tensor.zeros(DType.F16, device(), 4)) {
            assertThrows(IllegalArgumentException.class, () -> a.copyFrom(b));
            assertThrows(UnsupportedOperationException.class, a::toIntArray);
        }
    }

    @Test
    void reshapeAndNarrowAreViewsOfTheSameMemory() {
        float[] values = new float[12];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        try (Tensor owner = Tensor.fromFloats(values, DType.F32, device(), 4, 3)) {
            Tensor flat = owner.reshape(12);
            Tensor rows = owner.narrow(1, 2);
            assertTrue(flat.isView() && rows.isView());
            assertArrayEquals(new long[] {2, 3}, rows.shape());
            assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, rows.toFloatArray());
            try (Tensor ones = Tensor.fromFloats(new float[] {-1, -1, -1}, DType.F32, device(), 1, 3)) {
                rows.narrow(1, 1).copyFrom(ones);
            }
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, -1, -1, -1, 9, 10, 11}, flat.toFloatArray(),
                    "a write through a view is seen by the owner and its other views");
            assertEquals(0, owner.narrow(4, 0).numel());
            rows.close();
            assertEquals(values.length, owner.toFloatArray().length, "closing a view frees nothing");
            owner.close();
            assertTrue(flat.isClosed(), "a view is closed with its owner");
            assertThrows(IllegalStateException.class, flat::toFloatArray);
        }
    }

    @Test
    void badViewsAreRejected() {
        try (Tensor t = Tensor.zeros(DType.F16, device(), 4, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.reshape(5, 3));
            assertTrue(e.getMessage().contains("holds 15 elements"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.narrow(3, 2));
            assertThrows(IllegalArgumentException.class, () -> t.narrow(-1, 1));
            assertThrows(IllegalArgumentException.class, () -> t.reshape(-4, -3));
        }
        try (Tensor one = Tensor.zeros(DType.F32, device(), 1)) {
            Tensor scalar = one.reshape();
            assertEquals(0, scalar.rank());
            assertThrows(IllegalArgumentException.class, () -> scalar.narrow(0, 1));
        }
    }

    @Test
    void byteRangesCopyToAndFromTheHost() {
        try (Tensor t = Tensor.zeros(DType.I32, device(), 5)) {
            ByteBuffer in = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(11).putInt(-12).flip();
            t.copyFromHost(8, in);
            assertEquals(0, in.remaining(), "the source is consumed");
            assertArrayEquals(new int[] {0, 0, 11, -12, 0}, t.toIntArray());
            ByteBuffer direct = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
            t.copyToHost(12, direct);
            assertEquals(-12, direct.getInt(0));
            assertThrows(IllegalArgumentException.class, () -> t.copyToHost(18, ByteBuffer.allocate(4)));
            assertThrows(IllegalArgumentException.class,
                    () -> t.copyToHost(0, ByteBuffer.allocate(4).asReadOnlyBuffer()));
        }
    }

    @Test
    void storageOnlyDtypesHoldAndCopyBytes() {
        for (DType dtype : new DType[] {DType.F64, DType.I16, DType.U16, DType.U32, DType.U64, DType.BOOL,
            DType.F8_E4M3, DType.F8_E5M2}) {
            byte[] bytes = new byte[3 * dtype.byteSize()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (i * 7 + 1);
            }
            try (Tensor t = Tensor.fromBuffer(ByteBuffer.wrap(bytes), dtype, device(), 3)) {
                ByteBuffer back = t.toByteBuffer();
                byte[] got = new byte[bytes.length];
                back.get(got);
                assertArrayEquals(bytes, got, dtype.toString());
                assertThrows(UnsupportedOperationException.class, dtype::code, "no kernel takes " + dtype);
                assertTrue(!dtype.hasNativeCode());
            }
        }
    }
}
