package io.github.bnb4j.nativelib.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.bnb4j.nativelib.BnbException;
import io.github.bnb4j.nativelib.Status;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * On a host without cuBLAS (CI's), the GEMM path fails with one message that says what to install, for both
 * routes (cuBLASLt and cublasGemmEx come from one load).
 */
class CublasLtMissingTest {
    @Test
    void missingCublasIsOneClearError() {
        assumeTrue(!cublasLoads(), "cuBLAS is installed on this host");
        BnbException e = assertThrows(BnbException.class, () -> CublasLt.require("GEMM on cuda:0"));
        assertEquals(Status.NO_BACKEND, e.status());
        assertTrue(e.getMessage().contains("libcublasLt.so.13"), e.getMessage());
        // the same load brings cublasGemmEx's library (GemmRoute.CUBLAS), so the message names it too
        assertTrue(e.getMessage().contains("libcublas.so.13"), e.getMessage());
        assertTrue(e.getMessage().contains("org.bytedeco:cuda-redist"), e.getMessage());
        // Asked again: the same answer, not a NoClassDefFoundError from a half-initialised class.
        BnbException again = assertThrows(BnbException.class, () -> CublasLt.require("again"));
        assertTrue(again.getMessage().contains("libcublasLt.so.13"), again.getMessage());
    }

    private static boolean cublasLoads() {
        try {
            Loader.load(org.bytedeco.cuda.global.cublas.class);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }
}
