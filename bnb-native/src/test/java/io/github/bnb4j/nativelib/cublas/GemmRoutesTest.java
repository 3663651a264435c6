package io.github.bnb4j.nativelib.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Which routes a dense GEMM plan offers (no GPU needed: the choice is made before any library call). */
class GemmRoutesTest {
    private static LtGemm gemm(LtType type, long m, boolean bias) {
        return new LtGemm(type, false, true, m, 4096, 4096, 4096, 4096, 4096, bias, 256);
    }

    @Test
    void fastestOffersCublasBesideCublasLtForFloatProductsWithoutBias() {
        for (LtType t : new LtType[] {LtType.F32, LtType.F16, LtType.BF16}) {
            for (long m : new long[] {1, 8, 16, 4096}) {
                assertEquals(List.of(GemmRoute.CUBLASLT, GemmRoute.CUBLAS), GemmRoutes.FASTEST.candidatesFor(gemm(t, m,
                        false)), t + " M = " + m);
            }
        }
    }

    @Test
    void biasAndInt8StayOnCublasLt() {
        assertEquals(List.of(GemmRoute.CUBLASLT), GemmRoutes.FASTEST.candidatesFor(gemm(LtType.BF16, 1, true)));
        assertEquals(List.of(GemmRoute.CUBLASLT), GemmRoutes.FASTEST.candidatesFor(gemm(LtType.I8_I32, 1, false)));
        assertFalse(GemmRoutes.cublasCanRun(gemm(LtType.F16, 1, true)));
        assertTrue(GemmRoutes.cublasCanRun(gemm(LtType.F16, 1, false)));
    }

    @Test
    void pinnedRoutesOfferOnlyThemselves() {
        assertEquals(List.of(GemmRoute.CUBLASLT), GemmRoutes.CUBLASLT.candidatesFor(gemm(LtType.F32, 1, false)));
        assertEquals(List.of(GemmRoute.CUBLASLT), GemmRoutes.CUBLASLT.candidatesFor(gemm(LtType.I8_I32, 1, true)));
        assertEquals(List.of(GemmRoute.CUBLAS), GemmRoutes.CUBLAS.candidatesFor(gemm(LtType.BF16, 1, false)));
    }

    @Test
    void cublasRefusesWhatItCannotRunNamingTheProduct() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmRoutes.CUBLAS.candidatesFor(gemm(LtType.BF16, 1, true)));
        assertTrue(e.getMessage().contains("bias=true"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmRoutes.CUBLAS.candidatesFor(gemm(LtType.I8_I32, 1,
                false)));
    }
}
