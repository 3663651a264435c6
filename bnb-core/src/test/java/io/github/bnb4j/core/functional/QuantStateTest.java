package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * Every state that could make a kernel read out of bounds is refused when built (issue 13 item 1), with an
 * {@link IllegalArgumentException} naming the part at fault; and code books that are not ascending are refused
 * by {@link Blockwise#quantize}.
 */
class QuantStateTest {
    private static final Device CPU = Device.cpu();

    private static Tensor f32(int n) {
        return Tensor.zeros(DType.F32, CPU, n);
    }

    private static Tensor dynamic() {
        return Tensor.fromFloats(CodeBooks.dynamicSigned(), DType.F32, CPU, 256);
    }

    private static void assertRefused(String part, Supplier<QuantState> build) {
        try (TensorScope scope = TensorScope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
            assertTrue(e.getMessage().startsWith(part), "names " + part + ": " + e.getMessage());
        }
    }

    @Test
    void validStatesOfEachKindAreBuilt() {
        try (TensorScope scope = TensorScope.open()) {
            BlockwiseState plain = new BlockwiseState(new long[] {3, 100}, DType.BF16, Blocksize.B64, dynamic(),
                    new AbsmaxScales.Plain(f32(5)));
            assertEquals(300, plain.numel());
            assertEquals(5, plain.blocks());
            BlockwiseState inner = new BlockwiseState(new long[] {5}, DType.F32, Blocksize.B256, dynamic(),
                    new AbsmaxScales.Plain(f32(1)));
            FourBitState nested = new FourBitState(new long[] {300}, DType.F16, Blocksize.B64, QuantType.NF4,
                    Tensor.fromFloats(CodeBooks.nf4(), DType.F32, CPU, 16),
                    new AbsmaxScales.Nested(Tensor.zeros(DType.U8, CPU, 5), f32(1), inner));
            assertTrue(nested.isNested());
            assertEquals(150, nested.packedBytes());
            assertEquals(64 + 5 + 4 + 1024 + 4, nested.byteSize(), "code, codes, offset, nested code, nested absmax");
        }
    }

    @Test
    void anAbsmaxShorterThanTheCodesNeedIsRefused() {
        assertRefused("scales of the 8-bit state must hold 1048576 values", () -> new BlockwiseState(
                new long[] {1L << 26}, DType.F32, Blocksize.B64, dynamic(), new AbsmaxScales.Plain(f32(1))));
    }

    @Test
    void aSixteenEntryCodeBookInAnEightBitStateIsRefused() {
        assertRefused("code of the 8-bit state must be an F32 tensor of 256", () -> new BlockwiseState(
                new long[] {64}, DType.F32, Blocksize.B64, Tensor.fromFloats(CodeBooks.nf4(), DType.F32, CPU, 16),
                new AbsmaxScales.Plain(f32(1))));
        assertRefused("code of the 4-bit state must be an F32 tensor of 16", () -> new FourBitState(
                new long[] {64}, DType.F32, Blocksize.B64, QuantType.FP4, dynamic(), new AbsmaxScales.Plain(f32(1))));
    }

    @Test
    void aU8AbsmaxInAPlainStateIsRefused() {
        try (Tensor u8 = Tensor.zeros(DType.U8, CPU, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AbsmaxScales.Plain(u8));
            assertTrue(e.getMessage().startsWith("absmax of plain scales must be F32"), e.getMessage());
        }
    }

    @Test
    void aBlockSizeTheKernelsDoNotTakeIsRefused() {
        assertRefused("8-bit state: blocksize must be one of [64, 128, 256, 512, 1024, 2048, 4096], got 32",
                () -> new BlockwiseState(new long[] {64}, DType.F32, Blocksize.B32, dynamic(),
                        new AbsmaxScales.Plain(f32(2))));
    }

    @Test
    void badNestedScalesAreRefused() {
        try (TensorScope scope = TensorScope.open()) {
            BlockwiseState inner = new BlockwiseState(new long[] {5}, DType.F32, Blocksize.B256, dynamic(),
                    new AbsmaxScales.Plain(f32(1)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AbsmaxScales.Nested(Tensor.zeros(DType.U8, CPU, 4), f32(1), inner));
            assertTrue(e.getMessage().startsWith("codes of nested scales must be U8 with 5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new AbsmaxScales.Nested(Tensor.zeros(DType.U8, CPU, 5), f32(2), inner));
            assertTrue(e.getMessage().startsWith("offset must be an F32 tensor of one element"), e.getMessage());
            BlockwiseState bf16 = new BlockwiseState(new long[] {5}, DType.BF16, Blocksize.B256, dynamic(),
                    new AbsmaxScales.Plain(f32(1)));
            e = assertThrows(IllegalArgumentException.class,
                    () -> new AbsmaxScales.Nested(Tensor.zeros(DType.U8, CPU, 5), f32(1), bf16));
            assertTrue(e.getMessage().startsWith("state of nested scales must be a plain F32 state"), e.getMessage());
        }
    }

    @Test
    void missingPartsAreNamed() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> new BlockwiseState(
                new long[] {1}, DType.F32, Blocksize.B64, null, null));
        assertEquals("code", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> new AbsmaxScales.Plain(null));
        assertEquals("absmax", e.getMessage());
    }

    @Test
    void aFourBitStateIsNotDequantizedAsEightBit() {
        try (TensorScope scope = TensorScope.open()) {
            FourBitState s = new FourBitState(new long[] {64}, DType.F32, Blocksize.B64, QuantType.NF4,
                    Tensor.fromFloats(CodeBooks.nf4(), DType.F32, CPU, 16), new AbsmaxScales.Plain(f32(1)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Blockwise.dequantize(Tensor.zeros(DType.U8, CPU, 64), s));
            assertTrue(e.getMessage().startsWith("state must be an 8-bit BlockwiseState"), e.getMessage());
        }
    }

    @Test
    void codesThatDoNotMatchTheStateAreRefused() {
        try (TensorScope scope = TensorScope.open()) {
            BlockwiseState s = new BlockwiseState(new long[] {100}, DType.F32, Blocksize.B64, dynamic(),
                    new AbsmaxScales.Plain(f32(2)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Blockwise.dequantize(Tensor.zeros(DType.U8, CPU, 101), s));
            assertTrue(e.getMessage().startsWith("codes must hold 100 elements"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Blockwise.dequantize(f32(100), s));
        }
    }

    @Test
    void aCodeBookThatIsNotAscendingIsRefused() {
        float[] values = CodeBooks.dynamicSigned();
        float t = values[10];
        values[10] = values[11];
        values[11] = t;
        float[] withNan = CodeBooks.dynamicSigned();
        withNan[200] = Float.NaN;
        try (TensorScope scope = TensorScope.open()) {
            Tensor a = Tensor.fromFloats(new float[] {1, -2, 3}, DType.F32, CPU, 3);
            for (float[] bad : new float[][] {values, withNan}) {
                Tensor code = Tensor.fromFloats(bad, DType.F32, CPU, 256);
                BlockwiseOptions options = BlockwiseOptions.defaults().withBlocksize(Blocksize.B64).withCode(code);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Blockwise.quantize(a, options));
                assertTrue(e.getMessage().startsWith("code must hold 256 finite values in ascending order"),
                        e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> Blockwise.quantizeInto(a,
                        Tensor.zeros(DType.U8, CPU, 3), f32(1), options));
            }
        }
    }
}
