package io.github.bnb4j.nn.hf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.TensorInfo;

/**
 * A Hugging Face checkpoint folder, as {@code save_pretrained} writes it: {@code config.json} and either one
 * {@code model.safetensors} or shards listed by {@code model.safetensors.index.json}. Opening validates the folder
 * (config present and an object, every shard of the index present and a valid safetensors file, every tensor the
 * index names present in its shard, no tensor in two shards); tensors are then read one at a time from the memory
 * maps straight to their device, in chunks, so peak host memory stays near one chunk whatever the tensor's size.
 *
 * <p>Every safetensors dtype reads: those bnb4j tensors hold as they are, the others widened (see
 * {@link #read(String, Device)}). Errors name the file, the tensor and the value.
 */
public final class HfCheckpoint implements AutoCloseable {
    /** The model configuration file. */
    public static final String CONFIG = "config.json";
    /** The single-file checkpoint. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The index of a sharded checkpoint. */
    public static final String INDEX = "model.safetensors.index.json";
    private static final int CHUNK_ELEMENTS = 1 << 22;

    private final Path folder;
    private final ConfigJson config;
    private final List<SafetensorsReader> shards;
    private final Map<String, SafetensorsReader> shardOf;

    private HfCheckpoint(Path folder, ConfigJson config, List<SafetensorsReader> shards,
                         Map<String, SafetensorsReader> shardOf) {
        this.folder = folder;
        this.config = config;
        this.shards = shards;
        this.shardOf = shardOf;
    }

    /**
     * Opens and validates a checkpoint folder.
     *
     * @throws CheckpointException if {@code config.json} or the weights are missing or malformed, or the index names
     *                             a shard that is not there or a tensor its shard lacks
     * @throws IOException         if a file cannot be read
     */
    public static HfCheckpoint open(Path folder) throws IOException {
        Objects.requireNonNull(folder, "folder");
        if (!Files.isDirectory(folder)) {
            throw new CheckpointException(folder, "not a checkpoint folder (no such directory)");
        }
        ConfigJson config = ConfigJson.read(folder.resolve(CONFIG));
        List<SafetensorsReader> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsReader> shardOf = Files.exists(folder.resolve(INDEX))
                    ? openShards(folder.resolve(INDEX), opened) : openSingle(folder, opened);
            return new HfCheckpoint(folder, config, List.copyOf(opened), Collections.unmodifiableMap(shardOf));
        } catch (IOException | RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static Map<String, SafetensorsReader> openSingle(Path folder, List<SafetensorsReader> opened)
            throws IOException {
        Path file = folder.resolve(SINGLE_FILE);
        if (!Files.exists(file)) {
            throw new CheckpointException(folder, "neither " + SINGLE_FILE + " nor " + INDEX + " is there");
        }
        SafetensorsReader reader = openShard(file);
        opened.add(reader);
        Map<String, SafetensorsReader> out = new LinkedHashMap<>();
        reader.names().forEach(n -> out.put(n, reader));
        return out;
    }

    private static Map<String, SafetensorsReader> openShards(Path index, List<SafetensorsReader> opened)
            throws IOException {
        Map<String, String> weightMap = ConfigJson.read(index).requireStringMap("weight_map");
        Map<String, SafetensorsReader> byFile = new LinkedHashMap<>();
        Map<String, SafetensorsReader> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            String fileName = e.getValue();
            if (fileName.contains("/") || fileName.contains("\\")) {
                throw new CheckpointException(index, "tensor '" + e.getKey() + "' names shard \"" + fileName
                        + "\", which is not a file name in the folder");
            }
            SafetensorsReader reader = byFile.get(fileName);
            if (reader == null) {
                Path shard = index.resolveSibling(fileName);
                if (!Files.exists(shard)) {
                    throw new CheckpointException(index, "tensor '" + e.getKey() + "' is in shard " + fileName
                            + ", which is not there");
                }
                reader = openShard(shard);
                opened.add(reader);
                byFile.put(fileName, reader);
            }
            if (!reader.contains(e.getKey())) {
                throw new CheckpointException(reader.path(), "the index says tensor '" + e.getKey()
                        + "' is here, but this shard does not hold it");
            }
            out.put(e.getKey(), reader);
        }
        for (SafetensorsReader reader : opened) {
            for (String name : reader.names()) {
                if (out.get(name) != reader) {
                    throw new CheckpointException(reader.path(), "tensor '" + name + "' is not listed in " + INDEX
                            + " for this shard");
                }
            }
        }
        return out;
    }

    private static SafetensorsReader openShard(Path file) throws IOException {
        try {
            return SafetensorsReader.open(file);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "not a valid safetensors file (truncated?): " + e.getMessage(), e);
        }
    }

    /** The folder. */
    public Path folder() {
        return folder;
    }

    /** {@code config.json}. */
    public ConfigJson config() {
        return config;
    }

    /**
     * The {@code quantization_config} of a checkpoint saved pre-quantized, if any.
     *
     * @throws CheckpointException if it is malformed or not bitsandbytes'
     */
    public Optional<BitsAndBytesConfig> quantizationConfig() {
        return config.object("quantization_config").map(BitsAndBytesConfig::fromQuantizationConfig);
    }

    /** The names of all tensors, in index (or file) order. */
    public Set<String> tensorNames() {
        return shardOf.keySet();
    }

    /** Whether the checkpoint holds tensor {@code name}. */
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    /**
     * The stored dtype, shape and byte range of tensor {@code name}.
     *
     * @throws CheckpointException if there is no such tensor
     */
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    /** The file holding tensor {@code name}; {@link #info} says when it is missing. */
    public Path fileOf(String name) {
        return shard(name).path();
    }

    /**
     * Throws unless tensor {@code name} has exactly {@code shape}.
     *
     * @throws CheckpointException naming the file, the tensor, the shape found and the shape expected
     */
    public void requireShape(String name, long... shape) {
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new CheckpointException(fileOf(name), "tensor '" + name + "' has shape "
                    + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape));
        }
    }

    /**
     * Reads tensor {@code name} onto {@code device}: F32, F16, BF16, U8, I8, I32 and I64 as stored; F64 as F32,
     * F8_E4M3 and F8_E5M2 as BF16 (exact), I16 and U16 as I32, U32 and U64 as I64, BOOL as U8 (0 or 1). The caller
     * owns the result.
     *
     * @throws CheckpointException if there is no such tensor, or a U64 value does not fit I64
     */
    public Tensor read(String name, Device device) {
        return read(name, device, StoredElements.loadedDtype(info(name).dtype()));
    }

    /**
     * Reads tensor {@code name} onto {@code device} as {@code dtype}: its loaded dtype ({@link #read(String,
     * Device)}), or any of F32, F16, BF16 for a floating-point tensor (rounded to nearest even).
     *
     * @throws CheckpointException if there is no such tensor, or it cannot be loaded as {@code dtype}
     */
    public Tensor read(String name, Device device, DType dtype) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(dtype, "dtype");
        SafetensorsReader reader = shard(name);
        TensorInfo info = reader.info(name);
        if (!StoredElements.convertible(info.dtype(), dtype)) {
            throw new CheckpointException(reader.path(), "tensor '" + name + "' is " + info.dtype()
                    + " and cannot be loaded as " + dtype);
        }
        if (info.dtype() == dtype) {
            return reader.read(name, device);
        }
        Tensor out = Tensor.empty(dtype, device, info.shape());
        try {
            copyConverted(reader, info, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e instanceof CheckpointException ? e : new CheckpointException(reader.path(), e.getMessage(), e);
        }
    }

    private static void copyConverted(SafetensorsReader reader, TensorInfo info, Tensor out) {
        int inSize = info.dtype().byteSize();
        int outSize = out.dtype().byteSize();
        long numel = info.numel();
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(numel, CHUNK_ELEMENTS) * outSize);
        for (long done = 0; done < numel; ) {
            int n = (int) Math.min(CHUNK_ELEMENTS, numel - done);
            ByteBuffer src = reader.bytes(info.name(), done * inSize, n * inSize);
            chunk.clear();
            StoredElements.convert(src, info.dtype(), chunk, out.dtype(), n, "tensor '" + info.name() + "'");
            chunk.flip();
            out.copyFromHost(done * outSize, chunk);
            done += n;
        }
    }

    private SafetensorsReader shard(String name) {
        Objects.requireNonNull(name, "name");
        SafetensorsReader reader = shardOf.get(name);
        if (reader == null) {
            throw new CheckpointException(folder, "no tensor '" + name + "' in the checkpoint ("
                    + shardOf.size() + " tensors)");
        }
        return reader;
    }

    /** Closes the shards' memory maps; tensors already read stay valid. Idempotent. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsReader r : shards) {
            try {
                r.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void closeAll(List<SafetensorsReader> readers, Exception failure) {
        for (SafetensorsReader r : readers) {
            try {
                r.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
