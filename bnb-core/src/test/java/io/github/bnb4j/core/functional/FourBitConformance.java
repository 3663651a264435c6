package io.github.bnb4j.core.functional;

import static io.github.bnb4j.core.testing.FourBitReference.codeAt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.FourBitReference;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 4-bit quantization and products, run unchanged against every backend (see the subclasses): upstream's reference
 * vectors, the spec model of {@link FourBitReference} on odd sizes, and dense double-precision references of the
 * products. Bad input is in {@link FourBitBadInputConformance}.
 */
abstract class FourBitConformance extends BackendConformance {
    static final DType[] FLOAT_TYPES = {DType.F32, DType.F16, DType.BF16};

    // ---- upstream's vectors ------------------------------------------------------------------------

    static Stream<Arguments> referenceCases() {
        return Stream.of("f32", "f16", "bf16").flatMap(dt -> Stream.of(QuantType.values())
                .flatMap(qt -> Stream.of(Blocksize.B64, Blocksize.B128, Blocksize.B256)
                        .map(bs -> Arguments.of(dt, qt, bs))));
    }

    @ParameterizedTest(name = "{0} {1} bs{2}")
    @MethodSource("referenceCases")
    void reproducesUpstreamVectors(String dt, QuantType qt, Blocksize bs) {
        String key = "q4." + dt + "." + qt.upstreamName() + ".bs" + bs.value();
        float[] input = ReferenceVectors.floats("q4." + dt + ".input");
        float[] refAbsmax = ReferenceVectors.floats(key + ".absmax");
        byte[] refPacked = ReferenceVectors.bytes(key + ".packed");
        Tensor a = ReferenceVectors.tensor("q4." + dt + ".input", device());

        FourBitQuantized q = FourBit.quantize(a, new FourBitOptions(qt, bs, AbsmaxStorage.PLAIN));
        assertArrayEquals(new long[] {input.length / 2}, q.packed().shape());
        assertArrayEquals(refAbsmax, plainAbsmax(q.state()).toFloatArray(), key + ".absmax");
        byte[] packed = q.packed().toByteArray();
        FourBitReference.assertUpstreamCodes(qt, input, refAbsmax, bs.value(), refPacked, packed, key + ".packed");

        // upstream's packed codes and absmax dequantize to upstream's values bit for bit
        float[] refDequant = ReferenceVectors.floats(key + ".dequant");
        Tensor upstreamPacked = ReferenceVectors.tensor(key + ".packed", device()); // [bytes, 1], as upstream stores
        FourBitState upstream = plainState(a.shape(), a.dtype(), bs, qt, refAbsmax);
        Tensor back = FourBit.dequantize(upstreamPacked, upstream);
        assertEquals(a.dtype(), back.dtype());
        assertArrayEquals(a.shape(), back.shape());
        assertBitEqual(refDequant, back.toFloatArray(), key + ".dequant");

        // ours too, wherever our code is upstream's
        float[] ours = FourBit.dequantize(q.packed(), q.state()).toFloatArray();
        for (int i = 0; i < input.length; i++) {
            if (codeAt(packed, i) == codeAt(refPacked, i)) {
                assertEquals(Float.floatToIntBits(refDequant[i]), Float.floatToIntBits(ours[i]),
                        key + " ours[" + i + "]");
            }
        }
    }

    static Stream<Arguments> nestedCases() {
        return Stream.of("f32", "f16", "bf16").flatMap(dt -> Stream.of(QuantType.values())
                .map(qt -> Arguments.of(dt, qt)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("nestedCases")
    void reproducesUpstreamNestedVectors(String dt, QuantType qt) {
        String key = "q4." + dt + "." + qt.upstreamName() + ".nested64";
        float[] input = ReferenceVectors.floats("q4." + dt + ".input");
        float[] refDequant = ReferenceVectors.floats(key + ".dequant");
        float[] refAbsmax2 = ReferenceVectors.floats(key + ".absmax2");
        float refOffset = ReferenceVectors.floats(key + ".offset")[0];
        Tensor a = ReferenceVectors.tensor("q4." + dt + ".input", device());

        // upstream's nested state, undone inside the kernel, gives upstream's values bit for bit
        AbsmaxScales.Nested scales = new AbsmaxScales.Nested(ReferenceVectors.tensor(key + ".absmax_codes", device()),
                floats(new float[] {refOffset}), new BlockwiseState(new long[] {input.length / 64}, DType.F32,
                        Blocksize.B256, floats(CodeBooks.dynamicSigned()), new AbsmaxScales.Plain(floats(refAbsmax2))));
        FourBitState upstream = new FourBitState(a.shape(), a.dtype(), Blocksize.B64, qt, fourBitCode(qt), scales);
        Tensor upstreamPacked = ReferenceVectors.tensor(key + ".packed", device());
        assertBitEqual(refDequant, FourBit.dequantize(upstreamPacked, upstream).toFloatArray(), key + ".dequant");

        // ours: the same packed codes, the mean within an ulp, and values within 2 ulps of the output dtype
        FourBitQuantized q = FourBit.quantize(a, new FourBitOptions(qt, Blocksize.B64, AbsmaxStorage.NESTED));
        assertTrue(q.state().isNested());
        AbsmaxScales.Nested mine = (AbsmaxScales.Nested) q.state().scales();
        assertEquals(Blocksize.B256, mine.state().blocksize());
        float offset = mine.offset().toFloatArray()[0];
        assertEquals(refOffset, offset, Math.ulp(refOffset), key + ".offset");
        float[] absmax = FourBitReference.absmax(input, 64);
        FourBitReference.assertUpstreamCodes(qt, input, absmax, 64, ReferenceVectors.bytes(key + ".packed"),
                q.packed().toByteArray(), key + ".packed");
        assertArrayEquals(refAbsmax2, plainAbsmax(mine.state()).toFloatArray(), 2 * Math.ulp(refAbsmax2[0]),
                key + ".absmax2");
        float[] ours = FourBit.dequantize(q.packed(), q.state()).toFloatArray();
        byte[] packed = q.packed().toByteArray();
        byte[] refPacked = ReferenceVectors.bytes(key + ".packed");
        for (int i = 0; i < input.length; i++) {
            if (codeAt(packed, i) == codeAt(refPacked, i)) {
                assertEquals(refDequant[i], ours[i], 2 * ulp(refDequant[i], a.dtype()) + 1e-30f,
                        key + " ours[" + i + "]");
            }
        }
    }

    static Stream<Arguments> gemvCases() {
        return Stream.of("f16", "bf16").flatMap(dt -> Stream.of(QuantType.values()).map(qt -> Arguments.of(dt, qt)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("gemvCases")
    void gemvMatchesUpstream(String dt, QuantType qt) {
        // upstream's gemv weight is the input quantized with blocksize 64: W [128, 512], x [1, 512]
        String prefix = "q4." + dt + "." + qt.upstreamName();
        DType dtype = ReferenceVectors.dtype(prefix + ".gemv.x");
        float[] absmax = ReferenceVectors.floats(prefix + ".bs64.absmax");
        byte[] packed = ReferenceVectors.bytes(prefix + ".bs64.packed");
        FourBitState state = plainState(new long[] {128, 512}, dtype, Blocksize.B64, qt, absmax);
        Tensor x = ReferenceVectors.tensor(prefix + ".gemv.x", device());
        Tensor out = FourBit.matmul4bit(x, ReferenceVectors.tensor(prefix + ".bs64.packed", device()), state);
        assertArrayEquals(new long[] {1, 128}, out.shape());
        assertEquals(dtype, out.dtype());
        assertWithinUpstreamRounding(x.toFloatArray(), weight(qt, packed, absmax, 64, 128 * 512), 128, 512, null,
                ReferenceVectors.floats(prefix + ".gemv.out"), out.toFloatArray(), dtype, prefix + ".gemv");
    }

    static Stream<Arguments> linearCases() {
        return Stream.of(QuantType.values()).flatMap(qt -> Stream.of("plain", "nested").map(s -> Arguments.of(qt, s)));
    }

    /** Upstream's Linear4bit (bf16, blocksize 64) on a batch of 6, from its own state dict. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("linearCases")
    void linearMatchesUpstreamLinear4bit(QuantType qt, String storage) {
        String prefix = "lin4." + qt.upstreamName() + "." + storage;
        Map<String, Tensor> dict = new LinkedHashMap<>();
        for (String name : ReferenceVectors.reader().names()) {
            if (name.startsWith(prefix + ".state_dict.")) {
                dict.put(name.substring(prefix.length() + ".state_dict.".length()),
                        ReferenceVectors.reader().read(name, Device.cpu()));
            }
        }
        FourBitState state = FourBitStateDict.fromStateDict(dict, "weight.", device());
        Tensor packed = dict.get("weight").to(device());
        Tensor bias = dict.get("bias").to(device());
        Tensor x = ReferenceVectors.tensor("lin4.x", device());
        Tensor out = FourBit.matmul4bit(x, packed, state, bias);
        assertArrayEquals(new long[] {6, 128}, out.shape());
        float[] w = FourBit.dequantizeAs(packed, state, DType.F32, 128, 256).toFloatArray();
        assertWithinUpstreamRounding(x.toFloatArray(), w, 128, 256, bias.toFloatArray(),
                ReferenceVectors.floats(prefix + ".out"), out.toFloatArray(), DType.BF16, prefix);
    }

    // ---- the spec model on odd sizes -------------------------------------------------------------------

    static Stream<Arguments> oddSizes() {
        long[][] shapes = {{1}, {63}, {4097}, {7, 45}};
        return Stream.of(shapes).flatMap(shape -> Stream.of(FLOAT_TYPES).flatMap(dt -> Stream.of(QuantType.values())
                .flatMap(qt -> Stream.of(Blocksize.values()).map(bs -> Arguments.of(shape, dt, qt, bs)))));
    }

    @ParameterizedTest(name = "{0} {1} {2} bs{3}")
    @MethodSource("oddSizes")
    void matchesTheSpecOnOddSizes(long[] shape, DType dtype, QuantType qt, Blocksize bs) {
        int n = (int) io.github.bnb4j.core.Shapes.numel(shape);
        Tensor a = Tensor.fromFloats(gaussian(n, 31L * n + bs.value()), dtype, device(), shape);
        float[] exact = a.toFloatArray();
        FourBitQuantized q = FourBit.quantize(a, new FourBitOptions(qt, bs, AbsmaxStorage.PLAIN));

        float[] absmax = FourBitReference.absmax(exact, bs.value());
        assertArrayEquals(absmax, plainAbsmax(q.state()).toFloatArray(), "absmax");
        byte[] want = FourBitReference.pack(qt, exact, absmax, bs.value());
        assertArrayEquals(want, q.packed().toByteArray(), "packed");
        if (n % 2 == 1) {
            assertEquals(qt == QuantType.NF4 ? 7 : 0, codeAt(want, n), "padding nibble of a 0.0");
        }
        Tensor back = FourBit.dequantize(q.packed(), q.state());
        assertArrayEquals(shape, back.shape());
        float[] got = back.toFloatArray();
        for (int i = 0; i < n; i++) {
            float v = FourBitReference.round(FourBitReference.value(qt, codeAt(want, i)) * absmax[i / bs.value()],
                    dtype);
            assertEquals(Float.floatToIntBits(v), Float.floatToIntBits(got[i]), "dequant[" + i + "]");
        }
    }

    static Stream<Arguments> nestedSizes() {
        return Stream.of(1, 63, 4097, 64 * 256 + 65).flatMap(n -> Stream.of(FLOAT_TYPES)
                .flatMap(dt -> Stream.of(Blocksize.B32, Blocksize.B64, Blocksize.B4096)
                        .map(bs -> Arguments.of(n, dt, bs))));
    }

    /** Nested absmax: the same codes as plain, scales rebuilt as dynamic[code] * absmax2 + offset in f32. */
    @ParameterizedTest(name = "n={0} {1} bs{2}")
    @MethodSource("nestedSizes")
    void nestedScalesDequantizeAsTheirFormula(int n, DType dtype, Blocksize bs) {
        Tensor a = Tensor.fromFloats(scaledGaussian(n, n + 5L), dtype, device(), n);
        FourBitQuantized plain = FourBit.quantize(a, FourBitOptions.nf4().withBlocksize(bs));
        FourBitQuantized nested = FourBit.quantize(a, FourBitOptions.nf4().withBlocksize(bs)
                .withAbsmax(AbsmaxStorage.NESTED));
        byte[] packed = nested.packed().toByteArray();
        assertArrayEquals(plain.packed().toByteArray(), packed, "nesting changes the scales, not the codes");

        float[] scales = rebuiltScales((AbsmaxScales.Nested) nested.state().scales());
        float[] exactAbsmax = plainAbsmax(plain.state()).toFloatArray();
        float[] got = FourBit.dequantize(nested.packed(), nested.state()).toFloatArray();
        for (int i = 0; i < n; i++) {
            float v = FourBitReference.round(FourBitReference.value(QuantType.NF4, codeAt(packed, i))
                    * scales[i / bs.value()], dtype);
            assertEquals(Float.floatToIntBits(v), Float.floatToIntBits(got[i]), "dequant[" + i + "]");
        }
        // each rebuilt scale is within half the largest gap of the dynamic map, times its absmax2, of the exact one
        float[] absmax2 = plainAbsmax(((AbsmaxScales.Nested) nested.state().scales()).state()).toFloatArray();
        double halfGap = maxGap(CodeBooks.dynamicSigned()) / 2;
        for (int b = 0; b < scales.length; b++) {
            assertEquals(exactAbsmax[b], scales[b], halfGap * absmax2[b / 256] * 1.001 + 4 * Math.ulp(exactAbsmax[b]),
                    "rebuilt absmax[" + b + "]");
        }
    }

    /** A state dict may nest in blocks other than 256: such scales are rebuilt before the plain kernels run. */
    @Test
    void nestedScalesInOtherBlocksizesAreRebuiltFirst() {
        int n = 40;
        int k = 100;
        Tensor w = Tensor.fromFloats(scaledGaussian(n * k, 8), DType.F16, device(), n, k);
        FourBitQuantized plain = FourBit.quantize(w, FourBitOptions.nf4().withBlocksize(Blocksize.B32));
        AbsmaxScales.Nested scales = DoubleQuantization.quantize(plainAbsmax(plain.state()), Blocksize.B64);
        FourBitState state = new FourBitState(w.shape(), DType.F16, Blocksize.B32, QuantType.NF4,
                fourBitCode(QuantType.NF4), scales);
        float[] rebuilt = rebuiltScales(scales);
        byte[] packed = plain.packed().toByteArray();
        float[] weight = new float[n * k];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = FourBitReference.value(QuantType.NF4, codeAt(packed, i)) * rebuilt[i / 32];
        }
        float[] got = FourBit.dequantize(plain.packed(), state).toFloatArray();
        for (int i = 0; i < weight.length; i++) {
            assertEquals(FourBitReference.round(weight[i], DType.F16), got[i], "dequant[" + i + "]");
        }
        Tensor a = Tensor.fromFloats(gaussian(2 * k, 9), DType.F16, device(), 2, k);
        assertCloseToProduct(a.toFloatArray(), weight, 2, n, k, null, FourBit.matmul4bit(a, plain.packed(), state),
                DType.F16, tableRounding(DType.F16), "fused, nested in blocks of 64");
    }

    @Test
    void doesNotModifyItsInputAndKeepsTheShape() {
        float[] values = gaussian(5000, 3);
        Tensor a = Tensor.fromFloats(values, DType.F32, device(), 50, 100);
        FourBitQuantized q = FourBit.quantize(a, FourBitOptions.defaults());
        assertArrayEquals(values, a.toFloatArray());
        assertArrayEquals(new long[] {2500}, q.packed().shape());
        assertArrayEquals(new long[] {50, 100}, q.state().shape());
        assertEquals(QuantType.FP4, q.state().quantType());
        assertEquals(Blocksize.B64, q.state().blocksize());
        assertArrayEquals(CodeBooks.fp4(), q.state().code().toFloatArray());
        assertArrayEquals(new long[] {50, 100}, FourBit.dequantize(q.packed(), q.state()).shape());
    }

    @Test
    void quantizeIntoWritesWhatQuantizeReturns() {
        Tensor a = Tensor.fromFloats(gaussian(999, 4), DType.BF16, device(), 999);
        FourBitOptions options = FourBitOptions.nf4().withBlocksize(Blocksize.B128);
        FourBitQuantized q = FourBit.quantize(a, options);
        Tensor packed = Tensor.zeros(DType.U8, device(), 500);
        Tensor absmax = Tensor.zeros(DType.F32, device(), 8);
        FourBit.quantizeInto(a, packed, absmax, options);
        assertArrayEquals(q.packed().toByteArray(), packed.toByteArray());
        assertArrayEquals(plainAbsmax(q.state()).toFloatArray(), absmax.toFloatArray());
    }

    @Test
    void dequantizeIntoRoundsOnceToTheOutputsDtype() {
        Tensor a = Tensor.fromFloats(gaussian(300, 5), DType.BF16, device(), 300);
        FourBitQuantized q = FourBit.quantize(a, FourBitOptions.nf4());
        float[] f32 = FourBit.dequantizeAs(q.packed(), q.state(), DType.F32, 300).toFloatArray();
        for (DType dtype : FLOAT_TYPES) {
            Tensor out = Tensor.zeros(dtype, device(), 10, 30);
            FourBit.dequantizeInto(q.packed(), q.state(), out);
            float[] got = out.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(FourBitReference.round(f32[i], dtype), got[i], dtype + " [" + i + "]");
            }
        }
    }

    @Test
    void emptyTensorsQuantizeToEmptyOutputs() {
        Tensor a = Tensor.empty(DType.F16, device(), 0, 8);
        for (AbsmaxStorage storage : AbsmaxStorage.values()) {
            FourBitQuantized q = FourBit.quantize(a, FourBitOptions.nf4().withAbsmax(storage));
            assertEquals(0, q.packed().numel());
            assertEquals(0, q.state().blocks());
            assertArrayEquals(new long[] {0, 8}, FourBit.dequantize(q.packed(), q.state()).shape());
        }
    }

    // ---- products -----------------------------------------------------------------------------------

    static Stream<Arguments> productCases() {
        // k = 200: blocks of 64 straddle rows, as upstream's layout allows; k = 256: CUDA's tensor-core gemv
        return Stream.of(200, 256).flatMap(k -> Stream.of(1, 3, 8, 9, 16, 17, 40).flatMap(m -> Stream.of(FLOAT_TYPES)
                .flatMap(dt -> Stream.of(AbsmaxStorage.values()).map(st -> Arguments.of(m, k, dt, st)))));
    }

    /** a · Wᵀ + bias against a double product with the dequantized weight, on both paths (fused to the crossover). */
    @ParameterizedTest(name = "M={0} K={1} {2} {3}")
    @MethodSource("productCases")
    void matmul4bitMatchesADenseReference(int m, int k, DType dtype, AbsmaxStorage storage) {
        int n = 33;
        Tensor w = Tensor.fromFloats(gaussian(n * k, 11), dtype, device(), n, k);
        FourBitQuantized q = FourBit.quantize(w, FourBitOptions.nf4().withAbsmax(storage));
        Tensor a = Tensor.fromFloats(gaussian(m * k, m), dtype, device(), m, k);
        Tensor bias = Tensor.fromFloats(gaussian(n, 12), dtype, device(), n);
        float[] weight = FourBit.dequantizeAs(q.packed(), q.state(), DType.F32, n, k).toFloatArray();
        boolean fused = m <= FourBitProduct.FUSED_GEMV_MAX_ROWS;
        if (!fused) {
            for (int i = 0; i < weight.length; i++) {
                weight[i] = FourBitReference.round(weight[i], dtype); // the GEMM path dequantizes to a's dtype
            }
        }
        float[] x = a.toFloatArray();
        double termError = fused ? tableRounding(dtype) : 0;
        assertCloseToProduct(x, weight, m, n, k, null, FourBit.matmul4bit(a, q.packed(), q.state()), dtype, termError,
                "no bias");
        float[] b = bias.toFloatArray();
        assertCloseToProduct(x, weight, m, n, k, b, FourBit.matmul4bit(a, q.packed(), q.state(), bias), dtype,
                termError, "bias");
        Tensor out = Tensor.zeros(dtype, device(), m, n);
        FourBit.matmul4bitInto(a, q.packed(), q.state(), bias, out);
        assertCloseToProduct(x, weight, m, n, k, b, out, dtype, termError, "into");
    }

    @Test
    void matmul4bitTakesLeadingDimensionsAndAnF32InputWithA16BitWeight() {
        int n = 24;
        int k = 96;
        Tensor w = Tensor.fromFloats(gaussian(n * k, 21), DType.BF16, device(), n, k);
        FourBitQuantized q = FourBit.quantize(w, FourBitOptions.defaults());
        float[] weight = FourBit.dequantizeAs(q.packed(), q.state(), DType.F32, n, k).toFloatArray();
        for (int rows : new int[] {3, 15}) { // 2 x 3 rows fused, 2 x 15 through the GEMM (F32: the exact weight)
            Tensor a = Tensor.fromFloats(gaussian(2 * rows * k, rows), DType.F32, device(), 2, rows, k);
            Tensor out = FourBit.matmul4bit(a, q.packed(), q.state());
            assertArrayEquals(new long[] {2, rows, n}, out.shape());
            assertEquals(DType.F32, out.dtype(), "the input's dtype is the compute dtype");
            assertCloseToProduct(a.toFloatArray(), weight, 2 * rows, n, k, null, out, DType.F32, 0, "rows " + rows);
        }
        Tensor none = FourBit.matmul4bit(Tensor.empty(DType.F16, device(), 0, k), q.packed(), q.state());
        assertArrayEquals(new long[] {0, n}, none.shape());
    }

    static Stream<Arguments> backwardCases() {
        return Stream.of(1, 17, 40).flatMap(m -> Stream.of(FLOAT_TYPES).map(dt -> Arguments.of(m, dt)));
    }

    /** gradIn = gradOut · W against a double product with the weight dequantized to gradOut's dtype. */
    @ParameterizedTest(name = "M={0} {1}")
    @MethodSource("backwardCases")
    void backwardMatchesADenseReference(int m, DType dtype) {
        int n = 40;
        int k = 72;
        Tensor w = Tensor.fromFloats(gaussian(n * k, 13), dtype, device(), n, k);
        FourBitQuantized q = FourBit.quantize(w, FourBitOptions.defaults().withAbsmax(AbsmaxStorage.NESTED)
                .withBlocksize(Blocksize.B32));
        float[] weight = FourBit.dequantizeAs(q.packed(), q.state(), dtype, n, k).toFloatArray();
        Tensor gradOut = Tensor.fromFloats(gaussian(m * n, m + 1), dtype, device(), 1, m, n);
        Tensor gradIn = FourBit.matmul4bitBackward(gradOut, q.packed(), q.state());
        assertArrayEquals(new long[] {1, m, k}, gradIn.shape());
        assertEquals(dtype, gradIn.dtype());
        float[] g = gradOut.toFloatArray();
        float[] got = gradIn.toFloatArray();
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                double sum = 0;
                double magnitude = 0;
                for (int j = 0; j < n; j++) {
                    double term = (double) g[i * n + j] * weight[j * k + c];
                    sum += term;
                    magnitude += Math.abs(term);
                }
                assertEquals(sum, got[i * k + c], tolerance(n, magnitude, sum, dtype), "gradIn[" + i + ", " + c + "]");
            }
        }
    }

    // ---- state dicts --------------------------------------------------------------------------------

    static Stream<Arguments> stateDictCases() {
        return Stream.of(QuantType.values()).flatMap(qt -> Stream.of(AbsmaxStorage.values())
                .flatMap(st -> Stream.of(FLOAT_TYPES).map(dt -> Arguments.of(qt, st, dt))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("stateDictCases")
    void stateDictOfAQuantizedWeightRoundTrips(QuantType qt, AbsmaxStorage storage, DType dtype) {
        Tensor w = Tensor.fromFloats(gaussian(48 * 80, 17), dtype, device(), 48, 80);
        FourBitQuantized q = FourBit.quantize(w, new FourBitOptions(qt, Blocksize.B64, storage));
        Map<String, Tensor> dict = FourBitStateDict.toStateDict(q.state(), "weight.");
        FourBitState back = FourBitStateDict.fromStateDict(dict, "weight.", device());
        assertArrayEquals(q.state().shape(), back.shape());
        assertEquals(q.state().dtype(), back.dtype());
        assertEquals(q.state().quantType(), back.quantType());
        assertEquals(q.state().blocksize(), back.blocksize());
        assertEquals(q.state().isNested(), back.isNested());
        assertArrayEquals(FourBitStateDict.packedJson(q.state()), FourBitStateDict.packedJson(back));
        assertBitEqual(FourBit.dequantize(q.packed(), q.state()).toFloatArray(),
                FourBit.dequantize(q.packed(), back).toFloatArray(), "dequant after the round trip");
        dict.values().forEach(Tensor::close);
        back.close();
    }

    // ---- helpers ------------------------------------------------------------------------------------

    /** The error of an f32 sum of k terms plus one rounding to dtype, and dtype's subnormal spacing. */
    static double tolerance(int k, double magnitude, double sum, DType dtype) {
        return (k + 2) * 1.2e-7 * magnitude + FourBitReference.unit(dtype) * Math.abs(sum)
                + (dtype == DType.F16 ? 6e-8 : 1e-38);
    }

    /**
     * The relative error of each term of the fused product: CUDA's tensor-core gemv (16-bit inputs) rounds the 16
     * table values to the input's dtype, as upstream's gemv does; the CPU and the f32 path use them exactly.
     */
    static double tableRounding(DType dtype) {
        return dtype == DType.F32 ? 0 : FourBitReference.unit(dtype);
    }

    /** tolerance(...) plus termError of every term's magnitude. */
    private static void assertCloseToProduct(float[] x, float[] w, int m, int n, int k, float[] bias, Tensor out,
            DType dtype, double termError, String what) {
        assertEquals((long) m * n, out.numel(), what);
        float[] got = out.toFloatArray();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = bias == null ? 0 : bias[j];
                double magnitude = Math.abs(sum);
                for (int c = 0; c < k; c++) {
                    double term = (double) x[i * k + c] * w[j * k + c];
                    sum += term;
                    magnitude += Math.abs(term);
                }
                assertEquals(sum, got[i * n + j], tolerance(k, magnitude, sum, dtype) + termError * magnitude,
                        what + " out[" + i + ", " + j + "]");
            }
        }
    }

    /**
     * Upstream rounds code and absmax to the dtype, their product, and each product with x, then sums in f32, so
     * each term is off by a few units u of the dtype; ours rounds once. Allowed: 2u of sum |x w| plus 2u of the
     * result (the tolerance of the native tests).
     */
    private static void assertWithinUpstreamRounding(float[] x, float[] w, int n, int k, float[] bias,
            float[] upstream, float[] ours, DType dtype, String what) {
        int m = x.length / k;
        double u = FourBitReference.unit(dtype);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double magnitude = bias == null ? 0 : Math.abs(bias[j]);
                for (int c = 0; c < k; c++) {
                    magnitude += Math.abs((double) x[i * k + c] * w[j * k + c]);
                }
                double want = upstream[i * n + j];
                assertEquals(want, ours[i * n + j], 2 * u * magnitude + 2 * u * Math.abs(want),
                        what + " out[" + i + ", " + j + "]");
            }
        }
    }

    /** The dequantized weight in f32 from packed codes and plain absmax. */
    private static float[] weight(QuantType qt, byte[] packed, float[] absmax, int blocksize, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = FourBitReference.value(qt, codeAt(packed, i)) * absmax[i / blocksize];
        }
        return w;
    }

    private FourBitState plainState(long[] shape, DType dtype, Blocksize bs, QuantType qt, float[] absmax) {
        return new FourBitState(shape, dtype, bs, qt, fourBitCode(qt), new AbsmaxScales.Plain(floats(absmax)));
    }

    private Tensor fourBitCode(QuantType qt) {
        return floats(qt == QuantType.NF4 ? CodeBooks.nf4() : CodeBooks.fp4());
    }

    private Tensor floats(float[] values) {
        return Tensor.fromFloats(values, DType.F32, device(), values.length);
    }

    /** dynamic[code[b]] * absmax2[b / nested blocksize] + offset, two f32 roundings, as nested scales are undone. */
    private static float[] rebuiltScales(AbsmaxScales.Nested nested) {
        byte[] codes = nested.codes().toByteArray();
        float[] code = nested.state().code().toFloatArray();
        float[] absmax2 = plainAbsmax(nested.state()).toFloatArray();
        float offset = nested.offset().toFloatArray()[0];
        float[] out = new float[codes.length];
        for (int b = 0; b < codes.length; b++) {
            float product = code[codes[b] & 0xFF] * absmax2[b / nested.state().blocksize().value()];
            out[b] = product + offset;
        }
        return out;
    }

    static Tensor plainAbsmax(QuantState s) {
        return ((AbsmaxScales.Plain) s.scales()).absmax();
    }

    private static double maxGap(float[] ascending) {
        double gap = 0;
        for (int i = 1; i < ascending.length; i++) {
            gap = Math.max(gap, (double) ascending[i] - ascending[i - 1]);
        }
        return gap;
    }

    static void assertBitEqual(float[] ref, float[] got, String what) {
        assertEquals(ref.length, got.length, what + " length");
        for (int i = 0; i < ref.length; i++) {
            assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(got[i]), what + "[" + i + "]");
        }
    }

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Normal values with a scale per 64 (1e-3 .. 1e3), so block scales differ widely. */
    private static float[] scaledGaussian(int n, long seed) {
        float[] scale = {1e-3f, 0.1f, 1f, 10f, 1e3f};
        float[] v = gaussian(n, seed);
        for (int i = 0; i < n; i++) {
            v[i] *= scale[(i / 64) % scale.length];
        }
        return v;
    }

    private static float ulp(float v, DType dtype) {
        return switch (dtype) {
            case F16 -> Math.ulp(v) * (1 << 13);
            case BF16 -> Math.ulp(v) * (1 << 16);
            default -> Math.ulp(v);
        };
    }
}
