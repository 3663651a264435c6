package io.github.bnb4j.core.reproducers;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.AbsmaxScales;
import io.github.bnb4j.core.functional.Blockwise;
import io.github.bnb4j.core.functional.BlockwiseState;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.CodeBooks;
import io.github.bnb4j.core.functional.QuantState;

/**
 * Issue 13, item 1: a state built with the public constructor whose absmax is far shorter than the codes
 * need. Before the Java validation {@code Blockwise.dequantize} read past the absmax and crashed the JVM.
 * Prints {@code REJECTED <exception>} and exits 0 when construction or dequantization throws
 * {@link IllegalArgumentException}; exits 1 if dequantization returned (garbage).
 */
public final class DequantizeWithShortAbsmax {
    private DequantizeWithShortAbsmax() {
    }

    public static void main(String[] args) {
        long n = 1L << 26;
        try (Tensor codes = Tensor.zeros(DType.U8, Device.cpu(), n);
                Tensor absmax = Tensor.zeros(DType.F32, Device.cpu(), 1);
                Tensor code = Tensor.fromFloats(CodeBooks.dynamicSigned(), DType.F32, Device.cpu(), 256)) {
            QuantState state = new BlockwiseState(new long[] {n}, DType.F32, Blocksize.B64, code,
                    new AbsmaxScales.Plain(absmax));
            try (Tensor out = Blockwise.dequantize(codes, state)) {
                System.out.println("ACCEPTED: dequantize returned " + out);
                System.exit(1);
            }
        } catch (IllegalArgumentException e) {
            System.out.println("REJECTED " + e);
        }
    }
}
