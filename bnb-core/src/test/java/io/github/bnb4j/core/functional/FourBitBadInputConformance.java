package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input to the 4-bit ops (issue 9): each is an exception naming the argument and its value, and no output is
 * written. Run against every backend (see the subclasses).
 */
abstract class FourBitBadInputConformance extends BackendConformance {
    private static final int N = 6;
    private static final int K = 40;

    private FourBitQuantized weight() {
        return FourBit.quantize(Tensor.fromFloats(FourBitConformance.gaussian(N * K, 1), DType.BF16, device(), N, K),
                FourBitOptions.nf4());
    }

    /** Asserts {@code call} throws {@code type} with a message containing every one of {@code words}. */
    private static <T extends Throwable> void assertRefused(Class<T> type, Executable call, String... words) {
        T e = assertThrows(type, call);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "message must name '" + w + "': " + e.getMessage());
        }
    }

    @Test
    void oddBlocksizesAreRefusedByName() {
        assertRefused(IllegalArgumentException.class, () -> Blocksize.of(48),
                "blocksize must be one of [32, 64, 128, 256, 512, 1024, 2048, 4096], got 48");
        assertRefused(IllegalArgumentException.class, () -> Blocksize.of(8192), "got 8192");
        assertRefused(NullPointerException.class, () -> new FourBitOptions(QuantType.NF4, null, AbsmaxStorage.PLAIN),
                "blocksize");
    }

    @Test
    void integerInputsAreUnsupported() {
        Tensor a = Tensor.fromInts(new int[] {1, 2, 3}, device(), 3);
        assertRefused(UnsupportedOperationException.class, () -> FourBit.quantize(a, FourBitOptions.nf4()),
                "quantize4bit", "I32", device().toString());
        FourBitQuantized w = weight();
        Tensor ints = Tensor.zeros(DType.I32, device(), 2, K);
        assertRefused(UnsupportedOperationException.class, () -> FourBit.matmul4bit(ints, w.packed(), w.state()),
                "matmul4bit", "I32");
        Tensor bytes = Tensor.zeros(DType.U8, device(), N, K);
        assertRefused(UnsupportedOperationException.class, () -> FourBit.dequantizeInto(w.packed(), w.state(), bytes),
                "U8");
    }

    @Test
    void anEightBitStateIsNotAFourBitOne() {
        Quantized eight = Blockwise.quantize(Tensor.fromFloats(new float[N * K], DType.F32, device(), N, K));
        Tensor packed = Tensor.zeros(DType.U8, device(), N * K / 2);
        Tensor a = Tensor.zeros(DType.F32, device(), 1, K);
        String[] words = {"state must be a 4-bit FourBitState", "BlockwiseState"};
        assertRefused(IllegalArgumentException.class, () -> FourBit.dequantize(packed, eight.state()), words);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bit(a, packed, eight.state()), words);
        assertRefused(IllegalArgumentException.class,
                () -> FourBit.matmul4bitBackward(Tensor.zeros(DType.F32, device(), 1, N), packed, eight.state()),
                words);
        FourBitQuantized w = weight();
        assertRefused(IllegalArgumentException.class, () -> Blockwise.dequantize(w.packed(), w.state()),
                "state must be an 8-bit BlockwiseState");
    }

    @Test
    void packedBytesMustMatchTheStatesShape() {
        FourBitQuantized w = weight();
        Tensor shortPacked = Tensor.zeros(DType.U8, device(), N * K / 2 - 1);
        assertRefused(IllegalArgumentException.class, () -> FourBit.dequantize(shortPacked, w.state()),
                "packed must be a U8 tensor of 120 bytes", "[6, 40]", "[119]");
        Tensor signed = Tensor.zeros(DType.I8, device(), N * K / 2);
        assertRefused(IllegalArgumentException.class,
                () -> FourBit.matmul4bit(Tensor.zeros(DType.BF16, device(), 1, K), signed, w.state()), "I8");
    }

    @Test
    void shapesOfInputWeightAndStateMustAgree() {
        FourBitQuantized w = weight();
        Tensor wrongK = Tensor.zeros(DType.BF16, device(), 2, K + 1);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bit(wrongK, w.packed(), w.state()),
                "a must be [..., 40]", "[2, 41]");
        Tensor scalar = Tensor.zeros(DType.BF16, device());
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bit(scalar, w.packed(), w.state()),
                "a must be [..., 40]");
        Tensor wrongN = Tensor.zeros(DType.BF16, device(), 2, N + 1);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bitBackward(wrongN, w.packed(), w.state()),
                "gradOut must be [..., 6]", "[2, 7]");

        FourBitQuantized flat = FourBit.quantize(Tensor.zeros(DType.BF16, device(), N * K), FourBitOptions.nf4());
        assertRefused(IllegalArgumentException.class,
                () -> FourBit.matmul4bit(Tensor.zeros(DType.BF16, device(), 1, N * K), flat.packed(), flat.state()),
                "state must describe a weight [N, K]", "[240]");
    }

    @Test
    void biasMustBeOnePerOutputInTheInputsDtype() {
        FourBitQuantized w = weight();
        Tensor a = Tensor.zeros(DType.BF16, device(), 2, K);
        Tensor long7 = Tensor.zeros(DType.BF16, device(), N + 1);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bit(a, w.packed(), w.state(), long7),
                "bias must be BF16 [6]", "[7]");
        Tensor f32 = Tensor.zeros(DType.F32, device(), N);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bit(a, w.packed(), w.state(), f32),
                "bias must be BF16 [6]", "F32");
    }

    @Test
    void aRefusedCallWritesNothing() {
        FourBitQuantized w = weight();
        float[] sentinel = new float[2 * N];
        Arrays.fill(sentinel, 42f);
        Tensor out = Tensor.fromFloats(sentinel, DType.BF16, device(), 2, N);
        Tensor wrongK = Tensor.zeros(DType.BF16, device(), 2, K - 1);
        assertThrows(IllegalArgumentException.class, () -> FourBit.matmul4bitInto(wrongK, w.packed(), w.state(), out));
        Tensor badBias = Tensor.zeros(DType.BF16, device(), N - 1);
        Tensor a = Tensor.zeros(DType.BF16, device(), 2, K);
        assertThrows(IllegalArgumentException.class,
                () -> FourBit.matmul4bitInto(a, w.packed(), w.state(), badBias, out));
        assertArrayEquals(sentinel, out.toFloatArray(), "out is untouched");

        Tensor wrongOut = Tensor.fromFloats(sentinel, DType.BF16, device(), 1, 2 * N);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bitInto(a, w.packed(), w.state(),
                wrongOut), "out must be BF16 [2, 6]", "[1, 12]");
        assertArrayEquals(sentinel, wrongOut.toFloatArray(), "a misshapen out is untouched");

        float[] many = new float[N * K + 1];
        Arrays.fill(many, 7f);
        Tensor tooLong = Tensor.fromFloats(many, DType.F32, device(), many.length);
        assertRefused(IllegalArgumentException.class, () -> FourBit.dequantizeInto(w.packed(), w.state(), tooLong),
                "out must be F32 with 240 elements");
        assertArrayEquals(many, tooLong.toFloatArray());

        Tensor input = Tensor.fromFloats(FourBitConformance.gaussian(100, 2), DType.F32, device(), 100);
        byte[] marks = new byte[50];
        Arrays.fill(marks, (byte) 0x5A);
        Tensor packed = Tensor.fromBytes(marks, DType.U8, device(), 50);
        Tensor absmax = Tensor.zeros(DType.F32, device(), 1);
        assertRefused(IllegalArgumentException.class, () -> FourBit.quantizeInto(input, packed, absmax,
                FourBitOptions.nf4()), "absmaxOut must be F32 with 2 elements", "[1]");
        assertRefused(IllegalArgumentException.class, () -> FourBit.quantizeInto(input, packed, absmax,
                FourBitOptions.nf4().withAbsmax(AbsmaxStorage.NESTED)), "options.absmax must be PLAIN, got NESTED");
        assertArrayEquals(marks, packed.toByteArray(), "packedOut is untouched");
    }

    @Test
    void closedTensorsAreRefused() {
        FourBitQuantized w = weight();
        Tensor a = Tensor.zeros(DType.BF16, device(), 1, K);
        a.close();
        assertThrows(IllegalStateException.class, () -> FourBit.matmul4bit(a, w.packed(), w.state()));
        assertThrows(IllegalStateException.class, () -> FourBit.quantize(a, FourBitOptions.nf4()));
        w.packed().close();
        assertThrows(IllegalStateException.class, () -> FourBit.dequantize(w.packed(), w.state()));
    }

    @Test
    void tensorsOnAnotherDeviceAreRefused() {
        assumeTrue(device().isCuda(), "needs a second device: runs in the CUDA suite");
        FourBitQuantized w = weight();
        Tensor onCpu = Tensor.zeros(DType.BF16, Device.cpu(), 1, K);
        assertRefused(IllegalArgumentException.class, () -> FourBit.matmul4bit(onCpu, w.packed(), w.state()),
                "a is on cpu", device().toString());
        Tensor packedOnCpu = w.packed().to(Device.cpu());
        assertRefused(IllegalArgumentException.class, () -> FourBit.dequantize(packedOnCpu, w.state()),
                "packed is on cpu");
    }
}
