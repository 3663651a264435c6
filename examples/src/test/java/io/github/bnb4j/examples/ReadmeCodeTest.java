package io.github.bnb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.examples.bench.BlockwiseBenchmark;
import io.github.bnb4j.examples.bench.OptimizerBenchmark;
import io.github.bnb4j.examples.bench.TrainingStepBenchmark;
import io.github.bnb4j.examples.readme.LoaderReport;
import io.github.bnb4j.examples.readme.QuantizeSnippet;
import io.github.bnb4j.examples.readme.QuickStart;
import io.github.bnb4j.examples.readme.TrainingSnippet;
import io.github.bnb4j.nn.CrossEntropyLoss;
import io.github.bnb4j.nn.Sequential;
import io.github.bnb4j.nativelib.Bnb;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.AdamW8bit;
import io.github.bnb4j.optim.Optimizer;
import io.github.bnb4j.optim.PagedAdamW32bit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java code is the code of {@code examples/.../readme}: each region marked {@code // README name}
 * ... {@code // README end} there (regions of one name joined, in order) appears verbatim in a {@code java} block
 * of README.md, and runs here on the CPU (issue 13, newcomer item 3). Also the benchmarks' behaviour without a
 * GPU (newcomer item 5).
 */
class ReadmeCodeTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path SNIPPETS = Path.of("src", "main", "java", "io", "github", "bnb4j", "examples", "readme");

    @TempDir
    Path dir;

    @Test
    void readmeShowsTheCompiledCodeVerbatim() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        List<String> checked = new ArrayList<>();
        try (Stream<Path> files = Files.list(SNIPPETS)) {
            for (Path file : files.sorted().toList()) {
                regions(Files.readAllLines(file, StandardCharsets.UTF_8)).forEach((name, code) -> {
                    assertTrue(readme.contains("```java\n" + code + "```\n"), "README.md must show the region '"
                            + name + "' of " + file.getFileName() + " verbatim in a java block:\n" + code);
                    checked.add(name);
                });
            }
        }
        assertEquals(List.of("four-bit", "llama", "report", "quantize", "quick-start", "builder", "by-name",
                "training"), checked);
    }

    /** Marked regions by name, each dedented by the indentation of its first line; regions of one name joined. */
    private static Map<String, String> regions(List<String> lines) {
        Map<String, StringBuilder> out = new LinkedHashMap<>();
        String open = null;
        int indent = -1;
        for (String line : lines) {
            String t = line.strip();
            if (t.equals("// README end")) {
                open = null;
            } else if (t.startsWith("// README ")) {
                open = t.substring("// README ".length());
                indent = -1;
                out.computeIfAbsent(open, k -> new StringBuilder());
            } else if (open != null) {
                if (indent < 0) {
                    indent = line.length() - line.stripLeading().length();
                }
                out.get(open).append(line.length() >= indent ? line.substring(indent) : line.strip()).append('\n');
            }
        }
        Map<String, String> text = new LinkedHashMap<>();
        out.forEach((k, v) -> text.put(k, v.toString()));
        return text;
    }

    @Test
    void quickStartTrainsAndWritesACheckpointThatLoads() throws IOException {
        try (Sequential mlp = TrainingSnippet.model(16, 300, 4, Device.cpu(), 5);
                CrossEntropyLoss lossFn = new CrossEntropyLoss()) {
            Random data = new Random(1);
            float[] losses = new float[2];
            QuickStart.Model model = new QuickStart.Model() {
                private int calls;

                @Override
                public List<Parameter> parameters() {
                    return mlp.parameters();
                }

                @Override
                public void computeGradients() {
                    float[] x = new float[32 * 16];
                    int[] y = new int[32];
                    for (int s = 0; s < 32; s++) {
                        for (int i = 0; i < 16; i++) {
                            x[s * 16 + i] = (float) data.nextGaussian();
                        }
                        y[s] = x[s * 16] > 0 ? (x[s * 16 + 1] > 0 ? 0 : 1) : (x[s * 16 + 2] > 0 ? 2 : 3);
                    }
                    mlp.parameters().forEach(Parameter::zeroGrad);
                    try (Tensor xt = Tensor.fromFloats(x, DType.F32, Device.cpu(), 32, 16);
                            Tensor labels = Tensor.fromInts(y, Device.cpu(), 32);
                            Tensor logits = mlp.forward(xt); Tensor loss = lossFn.forward(logits, labels);
                            Tensor dLogits = lossFn.backward(); Tensor dx = mlp.backward(dLogits)) {
                        losses[calls == 0 ? 0 : 1] = loss.toFloatArray()[0];
                    }
                    calls++;
                }
            };
            Path checkpoint = dir.resolve("optimizer.safetensors");
            QuickStart.train(model, 60, checkpoint);
            assertTrue(losses[1] < 0.8 * losses[0], "loss " + losses[0] + " -> " + losses[1]);
            try (Optimizer again = new Adam8bit(mlp.parameters())) {
                again.load(checkpoint);
                assertEquals(60, again.state(mlp.parameters().get(0)).step());
            }
        }
    }

    @Test
    void trainingSnippetLearnsTheSyntheticTaskOnTheDevice() {
        float[][] teacher = SyntheticData.teacher(new Random(7), 10, 64);
        SyntheticData data = new SyntheticData(new Random(11), teacher, 64);
        try (Sequential model = TrainingSnippet.model(64, 128, 10, Device.cpu(), 3);
                CrossEntropyLoss lossFn = new CrossEntropyLoss();
                Optimizer opt = new Adam8bit(model.parameters())) {
            float first = 0;
            float last = 0;
            for (int step = 0; step < 80; step++) {
                try (Tensor x = data.inputs(Device.cpu()); Tensor labels = data.labels(Device.cpu());
                        Tensor loss = TrainingSnippet.step(model, lossFn, opt, x, labels)) {
                    float v = loss.toFloatArray()[0];
                    first = step < 10 ? first + v / 10 : first;
                    last = step >= 70 ? last + v / 10 : last;
                }
                data.next();
            }
            assertTrue(last < 0.75 * first, "mean loss of the first and last 10 steps: " + first + " -> " + last);
            for (Parameter p : model.parameters()) {
                assertEquals(Device.cpu(), p.grad().device(), "gradients stay where the model is");
            }
        }
    }

    @Test
    void builderAndTrainerNameExamplesBuildWhatTheReadmeSays() {
        try (Sequential mlp = TrainingSnippet.model(4, 8, 2, Device.cpu(), 1);
                Optimizer a = QuickStart.adamW(mlp.parameters());
                Optimizer b = QuickStart.byTrainerName(mlp.parameters())) {
            assertTrue(a instanceof AdamW8bit);
            assertEquals(3e-4f, a.configFor(mlp.parameters().get(0)).lr());
            assertEquals(0.01f, a.configFor(mlp.parameters().get(0)).weightDecay());
            assertTrue(b instanceof PagedAdamW32bit);
            assertEquals(2e-5f, b.configFor(mlp.parameters().get(0)).lr());
        }
    }

    @Test
    void quantizeExampleRoundTripsWithinUpstreamsError() {
        Random r = new Random(3);
        float[] values = new float[1024 * 4096];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        float[] back = QuantizeSnippet.roundTrip(values);
        double err = 0;
        for (int i = 0; i < values.length; i++) {
            err += Math.abs(values[i] - back[i]);
        }
        // bf16 storage adds ~0.002 to upstream's 8-bit bound of 0.011 for N(0, 1)
        assertTrue(err / values.length < 0.013, "mean abs error " + err / values.length);
    }

    @Test
    void loaderReportNamesTheBackend() {
        String line = LoaderReport.describe();
        assertTrue(line.startsWith(Bnb.report().selection().kind() + " backend: "), line);
        assertFalse(Bnb.report().selection().reason().isEmpty());
    }

    @Test
    void benchmarksWithoutAGpuSaySoAndEnd() {
        assumeFalse(Bnb.isCudaAvailable(), "this machine has a GPU: the benchmarks would run");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            OptimizerBenchmark.main(new String[0]);
            BlockwiseBenchmark.main(new String[0]);
            TrainingStepBenchmark.main(new String[0]);
        } finally {
            System.setErr(err);
        }
        String said = captured.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("OptimizerBenchmark measures CUDA kernels and needs a CUDA GPU"), said);
        assertTrue(said.contains("BlockwiseBenchmark measures CUDA kernels and needs a CUDA GPU"), said);
        assertTrue(said.contains("TrainingStepBenchmark measures CUDA kernels and needs a CUDA GPU"), said);
    }
}
