package io.github.bnb4j.optim;

import io.github.bnb4j.core.testing.BackendConformance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.MemoryKind;
import io.github.bnb4j.core.Parameter;
import org.junit.jupiter.api.Test;

/**
 * Paged optimizers: on a GPU, state buffers of at least 100,000 elements live in managed memory and give the
 * same results as the unpaged class; on the CPU they fall back to ordinary memory with one WARN.
 */
abstract class PagedConformance extends BackendConformance {
    private static final int LARGE = 100_003;
    private static final int SMALL = 5000;
    private List<Parameter> params() {
        return List.of(OptimTesting.param("large", OptimTesting.gaussian(LARGE, 1, 0.1), DType.F32, device()),
                OptimTesting.param("small", OptimTesting.gaussian(SMALL, 2, 0.1), DType.F32, device()));
    }

    private static void train(Optimizer o, List<Parameter> ps) {
        for (int step = 1; step <= 3; step++) {
            for (Parameter p : ps) {
                OptimTesting.setGrad(p, OptimTesting.gaussian((int) p.value().numel(), 10L * step, 0.01));
            }
            o.step();
        }
    }

    @Test
    void pagedGivesTheSameResultsAsUnpaged() {
        List<Parameter> paged = params();
        List<Parameter> plain = params();
        try (PagedAdamW8bit a = new PagedAdamW8bit(paged); AdamW8bit b = new AdamW8bit(plain);
                PagedAdEMAMix32bit c = new PagedAdEMAMix32bit(params())) {
            assertTrue(a.isPaged());
            train(a, paged);
            train(b, plain);
            train(c, c.paramGroups().get(0).params());
            for (int i = 0; i < paged.size(); i++) {
                OptimTesting.assertBitEqual(plain.get(i).value().toFloatArray(), paged.get(i).value().toFloatArray(),
                        "param " + i);
            }
            MemoryKind large = device().isCuda() ? MemoryKind.MANAGED : MemoryKind.HOST;
            assertEquals(large, a.state(paged.get(0)).state1().memoryKind());
            assertEquals(large, a.state(paged.get(0)).state2().memoryKind());
            assertEquals(device().isCuda() ? MemoryKind.DEVICE : MemoryKind.HOST,
                    a.state(paged.get(1)).state1().memoryKind(), "small buffers are not paged");
            assertEquals(large, c.state(c.paramGroups().get(0).params().get(0)).state1().memoryKind());
        }
    }

    @Test
    void warnsOnceWhereItCannotPage() {
        List<Parameter> ps = List.of(
                OptimTesting.param("a", OptimTesting.gaussian(LARGE, 1, 0.1), DType.F32, device()),
                OptimTesting.param("b", OptimTesting.gaussian(LARGE, 2, 0.1), DType.F32, device()));
        String log = captureStderr(() -> {
            try (PagedLion l = new PagedLion(ps)) {
                train(l, ps);
            }
        });
        long warnings = log.lines().filter(line -> line.contains("WARN") && line.contains("PagedLion")).count();
        if (device().isCpu()) {
            assertEquals(1, warnings, log);
            assertTrue(log.contains("not supported on CPU"), log);
        } else {
            assertTrue(warnings <= 1, log); // one WARN only where the GPU cannot prefetch managed memory
        }
    }

    private static String captureStderr(Runnable body) {
        PrintStream saved = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(saved);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
