package io.github.bnb4j.core.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.HalfFloats;
import io.github.bnb4j.core.Tensor;

/**
 * Reads a <a href="https://github.com/huggingface/safetensors">safetensors</a> file through memory maps.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON (an
 * object mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} string-to-string object), then the data region, to which the offsets are relative.
 *
 * <p>{@link #open(Path)} validates the whole header up front (see {@link SafetensorsFormatException}): the
 * tensors must tile the data region exactly, and a header may list at most 100,000 tensors with shapes of
 * rank 64 at most. Every later call therefore works on a consistent file. Entries of a dtype bnb4j does not
 * know (a newer version of the format) are tolerated: they are listed by {@link #names()}, and reading
 * them throws {@link SafetensorsFormatException}.
 *
 * <p>Tensor bytes are mapped on demand. {@link #read(String, Device)} copies a tensor of any size (2 GiB
 * or more included) straight from the map to a {@link Tensor} on any device, in chunks; {@link #bytes} and
 * the array readers hand out one mapping and so stop at 2 GiB, the limit of a {@link ByteBuffer}.
 *
 * <p>Instances are safe to use from several threads. After {@link #close()} every method throws
 * {@link IllegalStateException}, also in a thread that was reading while another closed the reader; buffers
 * already returned stay readable (the mapping lives until they are garbage collected). As with any memory
 * map, truncating the file while it is mapped makes reads fail.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Bytes mapped per step of {@link #read(String, Device)}. */
    static final int CHUNK_BYTES = 64 << 20;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private volatile boolean closed;

    private SafetensorsReader(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @param path the file
     * @return a reader over a fully validated header
     * @throws SafetensorsFormatException if the file is not a valid safetensors file; the message names the
     *                                    file and, where one is at fault, the tensor
     * @throws IOException                if the file cannot be opened or read
     */
    public static SafetensorsReader open(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsReader(path, channel, SafetensorsHeader.read(path, channel));
        } catch (Throwable t) {
            // Nothing half-built escapes: a failed open leaves no open file behind.
            try {
                channel.close();
            } catch (IOException closeFailure) {
                t.addSuppressed(closeFailure);
            }
            throw t;
        }
    }

    /** The file this reader was opened on. */
    public Path path() {
        return path;
    }

    /**
     * The {@code "__metadata__"} entries, in file order; empty when the header has none.
     *
     * @throws IllegalStateException if the reader is closed
     */
    public Map<String, String> metadata() {
        ensureOpen();
        return header.metadata();
    }

    /**
     * Names of all tensors, in the order the header lists them.
     *
     * @throws IllegalStateException if the reader is closed
     */
    public Set<String> names() {
        ensureOpen();
        return header.names();
    }

    /**
     * Whether the file has a tensor called {@code name}.
     *
     * @throws IllegalStateException if the reader is closed
     */
    public boolean contains(String name) {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        return header.names().contains(name);
    }

    /**
     * Dtype, shape and byte range of one tensor.
     *
     * @throws NullPointerException       if {@code name} is null
     * @throws IllegalArgumentException   if there is no tensor called {@code name}
     * @throws SafetensorsFormatException if the tensor's dtype is one bnb4j does not know
     * @throws IllegalStateException      if the reader is closed
     */
    public TensorInfo info(String name) {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        TensorInfo info = header.tensors().get(name);
        String unknownDtype = header.unknownDtypes().get(name);
        if (unknownDtype != null) {
            throw new SafetensorsFormatException(path + ": tensor '" + name + "': unknown dtype \"" + unknownDtype
                    + "\"; bnb4j reads " + SafetensorsHeader.knownDtypeNames());
        }
        if (info == null) {
            throw new IllegalArgumentException("no tensor named '" + name + "' in " + path + "; it has "
                    + header.names().size() + " tensors, for example " + someNames(name));
        }
        return info;
    }

    /**
     * A read-only little-endian view of exactly the bytes of tensor {@code name}.
     *
     * @throws NullPointerException          if {@code name} is null
     * @throws IllegalArgumentException      if there is no tensor called {@code name}, or its dtype is unknown
     * @throws UnsupportedOperationException if the tensor is 2 GiB or larger (more than a ByteBuffer holds)
     * @throws IllegalStateException         if the reader is closed
     * @throws UncheckedIOException          if mapping the file fails
     */
    public ByteBuffer bytes(String name) {
        return map(info(name));
    }

    /**
     * A read-only little-endian view of {@code length} bytes of tensor {@code name} from byte {@code offset} of
     * its data: how tensors of 2 GiB or more are read piece by piece.
     *
     * @throws NullPointerException      if {@code name} is null
     * @throws IllegalArgumentException  if there is no tensor called {@code name}, or the range is not inside it
     * @throws IllegalStateException     if the reader is closed
     * @throws UncheckedIOException      if mapping the file fails
     */
    public ByteBuffer bytes(String name, long offset, int length) {
        TensorInfo info = info(name);
        if (offset < 0 || length < 0 || offset > info.byteLength() - length) {
            throw new IllegalArgumentException("byte range [" + offset + ", " + offset + " + " + length
                    + ") is not inside tensor '" + name + "' of " + info.byteLength() + " bytes");
        }
        return mapRange(info, info.begin() + offset, length);
    }

    /**
     * Reads tensor {@code name} into a new tensor on {@code device}, straight from the memory map in chunks
     * of at most {@value #CHUNK_BYTES} bytes, so tensors of 2 GiB or more are read without a heap copy. The
     * caller owns (closes) the result.
     *
     * @throws NullPointerException       if an argument is null
     * @throws IllegalArgumentException   if there is no tensor called {@code name}
     * @throws SafetensorsFormatException if its dtype is one bnb4j does not know
     * @throws IllegalStateException      if the reader is closed, also while reading
     * @throws UncheckedIOException       if mapping the file fails
     */
    public Tensor read(String name, Device device) {
        Objects.requireNonNull(device, "device");
        TensorInfo info = info(name);
        Tensor out = Tensor.empty(info.dtype(), device, info.shape());
        try {
            for (long done = 0; done < info.byteLength(); ) {
                int n = (int) Math.min(CHUNK_BYTES, info.byteLength() - done);
                out.copyFromHost(done, mapRange(info, info.begin() + done, n));
                done += n;
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The elements of an F32, F16 or BF16 tensor as floats, in row-major order. F16 and BF16 values are
     * widened exactly.
     *
     * @throws IllegalArgumentException      if there is no such tensor, or its dtype is not floating point
     * @throws UnsupportedOperationException if the tensor is too large for a Java array
     * @throws IllegalStateException         if the reader is closed
     * @throws UncheckedIOException          if mapping the file fails
     */
    public float[] readFloats(String name) {
        TensorInfo info = requireDtype(name, "readFloats", DType.F32, DType.F16, DType.BF16);
        float[] out = new float[elementCount(info)];
        ByteBuffer bytes = map(info);
        switch (info.dtype()) {
            case F32 -> bytes.asFloatBuffer().get(out);
            case F16 -> {
                ShortBuffer halves = bytes.asShortBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = HalfFloats.f16ToFloat(halves.get(i));
                }
            }
            default -> { // BF16, the only dtype left after requireDtype
                ShortBuffer halves = bytes.asShortBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = HalfFloats.bf16ToFloat(halves.get(i));
                }
            }
        }
        return out;
    }

    /**
     * The raw 16-bit patterns of an F16 or BF16 tensor.
     *
     * @throws IllegalArgumentException      if there is no such tensor, or its dtype is not F16 or BF16
     * @throws UnsupportedOperationException if the tensor is too large for a Java array
     * @throws IllegalStateException         if the reader is closed
     * @throws UncheckedIOException          if mapping the file fails
     */
    public short[] readShorts(String name) {
        TensorInfo info = requireDtype(name, "readShorts", DType.F16, DType.BF16);
        short[] out = new short[elementCount(info)];
        map(info).asShortBuffer().get(out);
        return out;
    }

    /**
     * The bytes of a U8 or I8 tensor (U8 values above 127 come back negative; mask with {@code 0xFF}).
     *
     * @throws IllegalArgumentException      if there is no such tensor, or its dtype is not U8 or I8
     * @throws UnsupportedOperationException if the tensor is too large for a Java array
     * @throws IllegalStateException         if the reader is closed
     * @throws UncheckedIOException          if mapping the file fails
     */
    public byte[] readBytes(String name) {
        TensorInfo info = requireDtype(name, "readBytes", DType.U8, DType.I8);
        byte[] out = new byte[elementCount(info)];
        map(info).get(out);
        return out;
    }

    /**
     * The elements of an I32 tensor.
     *
     * @throws IllegalArgumentException      if there is no such tensor, or its dtype is not I32
     * @throws UnsupportedOperationException if the tensor is too large for a Java array
     * @throws IllegalStateException         if the reader is closed
     * @throws UncheckedIOException          if mapping the file fails
     */
    public int[] readInts(String name) {
        TensorInfo info = requireDtype(name, "readInts", DType.I32);
        int[] out = new int[elementCount(info)];
        map(info).asIntBuffer().get(out);
        return out;
    }

    /**
     * The elements of an I64 tensor.
     *
     * @throws IllegalArgumentException      if there is no such tensor, or its dtype is not I64
     * @throws UnsupportedOperationException if the tensor is too large for a Java array
     * @throws IllegalStateException         if the reader is closed
     * @throws UncheckedIOException          if mapping the file fails
     */
    public long[] readLongs(String name) {
        TensorInfo info = requireDtype(name, "readLongs", DType.I64);
        long[] out = new long[elementCount(info)];
        map(info).asLongBuffer().get(out);
        return out;
    }

    /** Closes the file. Closing twice is harmless. */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    private ByteBuffer map(TensorInfo info) {
        long length = info.byteLength();
        if (length > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException("tensor '" + info.name() + "' in " + path + " is " + length
                    + " bytes; a ByteBuffer holds at most " + Integer.MAX_VALUE + "; read it with read(name, device)");
        }
        return mapRange(info, info.begin(), (int) length);
    }

    /** {@code length} bytes from {@code begin} (relative to the data region) of {@code info}'s tensor. */
    private ByteBuffer mapRange(TensorInfo info, long begin, int length) {
        ensureOpen();
        if (length == 0) {
            // asReadOnlyBuffer resets the byte order, so set it afterwards.
            return ByteBuffer.allocate(0).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + begin, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (ClosedChannelException e) {
            // another thread closed the reader after ensureOpen (AsynchronousCloseException is one of these)
            throw new IllegalStateException("SafetensorsReader for " + path + " is closed", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map tensor '" + info.name() + "' of " + path, e);
        }
    }

    private TensorInfo requireDtype(String name, String method, DType... allowed) {
        TensorInfo info = info(name);
        for (DType dtype : allowed) {
            if (info.dtype() == dtype) {
                return info;
            }
        }
        throw new IllegalArgumentException(method + " needs a tensor of dtype "
                + java.util.Arrays.toString(allowed) + ", but '" + name + "' in " + path + " is "
                + info.dtype());
    }

    private int elementCount(TensorInfo info) {
        long n = info.numel();
        // Soft VM array limit: a few words below Integer.MAX_VALUE.
        if (n > Integer.MAX_VALUE - 8) {
            throw new UnsupportedOperationException("tensor '" + info.name() + "' in " + path + " has " + n
                    + " elements, more than a Java array holds");
        }
        return (int) n;
    }

    /** Up to five names, preferring those that share the unknown name's prefix (up to its last '.'). */
    private String someNames(String unknown) {
        int shown = 5;
        String prefix = unknown.substring(0, unknown.lastIndexOf('.') + 1);
        Set<String> all = header.names();
        boolean anyShare = !prefix.isEmpty() && all.stream().anyMatch(n -> n.startsWith(prefix));
        List<String> candidates = all.stream().filter(n -> !anyShare || n.startsWith(prefix)).toList();
        return candidates.stream().limit(shown).map(n -> "'" + n + "'")
                .collect(Collectors.joining(", ", "[", candidates.size() > shown ? ", ...]" : "]"));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("SafetensorsReader for " + path + " is closed");
        }
    }
}
