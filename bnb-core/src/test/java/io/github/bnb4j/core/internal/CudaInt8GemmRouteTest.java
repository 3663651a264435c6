package io.github.bnb4j.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.bnb4j.core.internal.CudaInt8Gemm.Route;
import org.junit.jupiter.api.Test;

/**
 * Which int8 GEMMs go to cuBLASLt as they are: K and N multiples of 4 and 4-byte aligned pointers; the others
 * run zero-padded to the next multiples of 4 (the products themselves are checked on the GPU by Int8CudaTest).
 */
class CudaInt8GemmRouteTest {
    @Test
    void takesAlignedMultiplesOfFourDirectly() {
        assertEquals(new Route(true, 4096, 14336), Route.of(14336, 4096, 0x1000, 0x2000, 0x3000));
        assertEquals(new Route(true, 4, 4), Route.of(4, 4, 4, 8, 12));
    }

    @Test
    void padsKAndNThatAreNotMultiplesOfFour() {
        assertEquals(new Route(false, 8, 4), Route.of(3, 5, 0, 0, 0));
        assertEquals(new Route(false, 36, 8), Route.of(7, 33, 0, 0, 0));
        assertEquals(new Route(false, 40, 8), Route.of(8, 37, 0, 0, 0));
        assertEquals(new Route(false, 64, 36), Route.of(33, 64, 0, 0, 0));
    }

    @Test
    void copiesOperandsThatAreNotFourByteAligned() {
        assertEquals(new Route(false, 36, 8), Route.of(8, 36, 36 + 1, 0, 0));
        assertEquals(new Route(false, 36, 8), Route.of(8, 36, 0, 2, 0));
        assertEquals(new Route(false, 36, 8), Route.of(8, 36, 0, 0, 6));
    }
}
