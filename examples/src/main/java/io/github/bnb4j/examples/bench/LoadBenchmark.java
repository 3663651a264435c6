package io.github.bnb4j.examples.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;
import io.github.bnb4j.nn.hf.HfCheckpoint;
import io.github.bnb4j.nn.llama.LlamaForCausalLM;
import io.github.bnb4j.nn.llama.LlamaLoadOptions;

/**
 * Loading a Llama-2-7B-shaped checkpoint with NF4 quantization on load, against reading the file. It writes a bf16
 * safetensors checkpoint of the 7B shapes with {@code layers} decoder layers (default 4 of the 32, about 2.2 GB; pass
 * {@code layers=32} for the whole 13.5 GB model) and the embedding and {@code lm_head}, then measures
 * <ul>
 *   <li>{@code load_s}: {@link LlamaForCausalLM#load} with NF4 double quant, bf16 compute, first (on a device that
 *       holds nothing yet, in a JVM that has not run the reading code), and its peaks of host memory (anonymous and
 *       mapped-file pages) and device memory above the values before it;</li>
 *   <li>{@code read_file_s}: then reading the file's bytes into a host buffer (the file is in the page cache, having
 *       just been written: both sides are measured warm), the second of two reads;</li>
 *   <li>{@code read_device_s}: reading every tensor as stored onto the GPU, one at a time ({@link HfCheckpoint}), the
 *       second of two passes.</li>
 * </ul>
 * One line: {@code {"kind":"load","model":..,"variant":"nf4_dq","file_gb":..,"read_file_s":..,"read_device_s":..,
 * "load_s":..,"load_over_read_file":..,"load_over_read_device":..,"weight_gb":..,"peak_host_anon_mb":..,
 * "peak_host_file_mb":..,"peak_device_gb":..}}.
 *
 * <p>Arguments: {@code layers=N}, {@code dir=PATH} (default the temporary directory; the checkpoint is deleted at
 * the end).
 */
public final class LoadBenchmark {
    private static final int HIDDEN = 4096;
    private static final int INTERMEDIATE = 11008;
    private static final int VOCAB = 32000;

    private LoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("LoadBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        int layers = 4;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        for (String a : args) {
            if (a.startsWith("layers=")) {
                layers = Integer.parseInt(a.substring("layers=".length()));
            } else if (a.startsWith("dir=")) {
                dir = Path.of(a.substring("dir=".length()));
            } else {
                throw new IllegalArgumentException("arguments are layers=N and dir=PATH, got " + a);
            }
        }
        Path folder = Files.createTempDirectory(dir, "llama-7b-shape");
        try {
            write(folder, layers);
            measure(cuda.get(), folder, layers);
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void measure(Device gpu, Path folder, int layers) throws Exception {
        Path file = folder.resolve(HfCheckpoint.SINGLE_FILE);
        LlamaLoadOptions options = DecodeBenchmark.options(gpu, "nf4_dq");
        double loadS;
        double weightGb;
        // The load runs first, on a device that holds nothing yet: its peaks are not hidden by memory the pool kept.
        PeakSampler peaks = new PeakSampler(gpu);
        long start = System.nanoTime();
        try (LlamaForCausalLM model = LlamaForCausalLM.load(folder, options)) {
            CudaStream.current(gpu).synchronize();
            loadS = (System.nanoTime() - start) / 1e9;
            peaks.close();
            weightGb = model.weightBytes() / 1e9;
        }
        readFile(file);
        double readFileS = readFile(file);
        readToDevice(folder, gpu);
        double readDeviceS = readToDevice(folder, gpu);
        System.out.println(new JsonLine().put("kind", "load").put("model", "llama-2-7b-shape-" + layers + "-layers")
                .put("variant", "nf4_dq").put("file_gb", Files.size(file) / 1e9).put("read_file_s", readFileS)
                .put("read_device_s", readDeviceS).put("load_s", loadS)
                .put("load_over_read_file", loadS / readFileS).put("load_over_read_device", loadS / readDeviceS)
                .put("weight_gb", weightGb).put("peak_host_anon_mb", peaks.hostAnonPeak() / 1e6)
                .put("peak_host_file_mb", peaks.hostFilePeak() / 1e6).put("peak_device_gb", peaks.devicePeak() / 1e9));
    }

    /** Seconds to read the file's bytes through a 64 MiB direct buffer. */
    private static double readFile(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 20);
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buffer) >= 0) {
                buffer.clear();
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Seconds to read every tensor as stored onto the GPU, one at a time. */
    private static double readToDevice(Path folder, Device gpu) throws IOException {
        long start = System.nanoTime();
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            for (String name : ckpt.tensorNames()) {
                ckpt.read(name, gpu).close();
            }
        }
        CudaStream.current(gpu).synchronize();
        return (System.nanoTime() - start) / 1e9;
    }

    /** A bf16 checkpoint of the 7B shapes with {@code layers} layers; tensors of one shape share their bytes. */
    private static void write(Path folder, int layers) throws IOException {
        Files.writeString(folder.resolve(HfCheckpoint.CONFIG), "{\"architectures\": [\"LlamaForCausalLM\"], "
                + "\"model_type\": \"llama\", \"hidden_size\": " + HIDDEN + ", \"intermediate_size\": " + INTERMEDIATE
                + ", \"num_hidden_layers\": " + layers + ", \"num_attention_heads\": 32, \"num_key_value_heads\": 32,"
                + " \"vocab_size\": " + VOCAB + ", \"max_position_embeddings\": 4096, \"rms_norm_eps\": 1e-05, "
                + "\"rope_theta\": 10000.0, \"dtype\": \"bfloat16\", \"tie_word_embeddings\": false}");
        Map<String, ByteBuffer> byShape = new HashMap<>();
        SafetensorsWriter w = new SafetensorsWriter();
        add(w, byShape, "model.embed_tokens.weight", VOCAB, HIDDEN);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            for (String m : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) {
                add(w, byShape, p + "self_attn." + m + ".weight", HIDDEN, HIDDEN);
            }
            add(w, byShape, p + "mlp.gate_proj.weight", INTERMEDIATE, HIDDEN);
            add(w, byShape, p + "mlp.up_proj.weight", INTERMEDIATE, HIDDEN);
            add(w, byShape, p + "mlp.down_proj.weight", HIDDEN, INTERMEDIATE);
            add(w, byShape, p + "input_layernorm.weight", HIDDEN);
            add(w, byShape, p + "post_attention_layernorm.weight", HIDDEN);
        }
        add(w, byShape, "model.norm.weight", HIDDEN);
        add(w, byShape, "lm_head.weight", VOCAB, HIDDEN);
        w.write(folder.resolve(HfCheckpoint.SINGLE_FILE));
    }

    private static void add(SafetensorsWriter w, Map<String, ByteBuffer> byShape, String name, long... shape) {
        ByteBuffer data = byShape.computeIfAbsent(Arrays.toString(shape), k -> randomBf16(shape));
        w.add(name, DType.BF16, shape, data.duplicate());
    }

    /** N(0, 0.02²) values in bf16 (ones for a vector: a norm's weight). */
    private static ByteBuffer randomBf16(long... shape) {
        int n = Math.toIntExact(Shapes.numel(shape));
        ByteBuffer out = ByteBuffer.allocateDirect(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        Random random = new Random(n);
        for (int i = 0; i < n; i++) {
            float v = shape.length == 1 ? 1f : (float) (random.nextGaussian() * 0.02);
            out.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return out.flip();
    }
}
