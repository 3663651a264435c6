package io.github.bnb4j.core;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import io.github.bnb4j.core.internal.NativeRuntime;
import io.github.bnb4j.core.internal.NativeRuntime.CopyDirection;
import io.github.bnb4j.nativelib.Bnb;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dense, contiguous, row-major array of one {@link DType} on one {@link Device}, owning its memory
 * (unless {@linkplain #wrap(long, DType, Device, long...) wrapped}).
 *
 * <p>Memory is released by {@link #close()} (idempotent) or by the {@link TensorScope} the tensor was made
 * in, never by the garbage collector: a tensor collected while open is reported by a WARN log line and
 * its memory is leaked. Any use after close throws {@link IllegalStateException}.
 *
 * <p>16-bit floats are exchanged with Java as {@code short} bit patterns ({@link #fromShorts},
 * {@link #toShortArray}) or converted to and from {@code float} ({@link #fromFloats}, {@link #toFloatArray}).
 * Host copies to and from a GPU synchronize the device's current {@link CudaStream}.
 */
public final class Tensor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tensor.class);
    private static final Cleaner LEAK_DETECTOR = Cleaner.create();

    private final long[] shape;
    private final long numel;
    private final DType dtype;
    private final Device device;
    private final NativeMemory memory;
    private final LeakReport leakReport;

    private Tensor(long[] shape, DType dtype, Device device, NativeMemory memory) {
        this.shape = shape;
        this.numel = numel(shape);
        this.dtype = dtype;
        this.device = device;
        this.memory = memory;
        this.leakReport = new LeakReport(memory, describe(shape, dtype, device));
        LEAK_DETECTOR.register(this, leakReport);
        TensorScope.register(this);
    }

    /** Logs tensors that become unreachable while open; frees nothing. */
    private static final class LeakReport implements Runnable {
        private final NativeMemory memory;
        private final String description;

        LeakReport(NativeMemory memory, String description) {
            this.memory = memory;
            this.description = description;
        }

        @Override
        public void run() {
            if (!memory.isReleased() && memory.kind() != MemoryKind.FOREIGN && memory.bytes() > 0) {
                LOG.warn("bnb4j: a tensor {} was garbage-collected without close(); its {} bytes leaked",
                        description, memory.bytes());
            }
        }
    }

    // ---- creation ------------------------------------------------------------------------------

    /**
     * An uninitialised tensor.
     *
     * @throws IllegalArgumentException if a dimension is negative or the byte size overflows
     * @throws io.github.bnb4j.nativelib.OutOfDeviceMemoryException if the GPU has not enough memory
     */
    public static Tensor empty(DType dtype, Device device, long... shape) {
        long[] s = checkShape(shape);
        long bytes = byteSize(s, dtype);
        if (device.isCpu()) {
            Bnb.requireNativeLibrary();
            return new Tensor(s, dtype, device, NativeMemory.allocate(bytes, MemoryKind.HOST, device));
        }
        return new Tensor(s, dtype, device, NativeMemory.allocate(bytes, MemoryKind.DEVICE, device));
    }

    /** A tensor of zeros. See {@link #empty}. */
    public static Tensor zeros(DType dtype, Device device, long... shape) {
        Tensor t = empty(dtype, device, shape);
        t.fillZero();
        return t;
    }

    /**
     * A tensor in CUDA managed memory, which the driver can page out to the host under memory pressure.
     *
     * @throws IllegalArgumentException if {@code device} is not a CUDA device
     */
    public static Tensor emptyManaged(DType dtype, Device device, long... shape) {
        requireCudaDevice(device, "emptyManaged");
        CudaContext.use(device);
        long[] s = checkShape(shape);
        return new Tensor(s, dtype, device, NativeMemory.allocate(byteSize(s, dtype), MemoryKind.MANAGED, device));
    }

    /**
     * Copies {@code values} into a new F32 tensor on the CPU.
     *
     * @throws IllegalArgumentException if the shape does not hold {@code values.length} elements
     */
    public static Tensor of(float[] values, long... shape) {
        return fromFloats(values, DType.F32, Device.cpu(), shape);
    }

    /**
     * Converts {@code values} to {@code dtype} (F32, F16 or BF16; round to nearest even) into a new tensor.
     *
     * @throws IllegalArgumentException if {@code dtype} is not a float type or the shape does not match
     */
    public static Tensor fromFloats(float[] values, DType dtype, Device device, long... shape) {
        checkLength(values.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().put(values);
            case F16 -> {
                for (float v : values) {
                    buf.putShort(HalfFloats.floatToF16(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    buf.putShort(HalfFloats.floatToBf16(v));
                }
            }
            default -> throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
        }
        return fromBuffer(buf.rewind(), dtype, device, shape);
    }

    /**
     * Copies 16-bit float bit patterns into a new F16 or BF16 tensor.
     *
     * @throws IllegalArgumentException if {@code dtype} is not F16 or BF16 or the shape does not match
     */
    public static Tensor fromShorts(short[] bits, DType dtype, Device device, long... shape) {
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("dtype must be F16 or BF16, got " + dtype);
        }
        checkLength(bits.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        buf.asShortBuffer().put(bits);
        return fromBuffer(buf, dtype, device, shape);
    }

    /**
     * Copies bytes into a new U8 or I8 tensor.
     *
     * @throws IllegalArgumentException if {@code dtype} is not U8 or I8 or the shape does not match
     */
    public static Tensor fromBytes(byte[] values, DType dtype, Device device, long... shape) {
        if (dtype != DType.U8 && dtype != DType.I8) {
            throw new IllegalArgumentException("dtype must be U8 or I8, got " + dtype);
        }
        checkLength(values.length, shape);
        return fromBuffer(ByteBuffer.wrap(values), dtype, device, shape);
    }

    /** Copies ints into a new I32 tensor. @throws IllegalArgumentException if the shape does not match */
    public static Tensor fromInts(int[] values, Device device, long... shape) {
        checkLength(values.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(values);
        return fromBuffer(buf, DType.I32, device, shape);
    }

    /** Copies longs into a new I64 tensor. @throws IllegalArgumentException if the shape does not match */
    public static Tensor fromLongs(long[] values, Device device, long... shape) {
        checkLength(values.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(values);
        return fromBuffer(buf, DType.I64, device, shape);
    }

    /**
     * Copies the remaining bytes of {@code data} (little-endian element encoding) into a new tensor.
     *
     * @throws IllegalArgumentException if {@code data.remaining()} is not the shape's byte size
     */
    public static Tensor fromBuffer(ByteBuffer data, DType dtype, Device device, long... shape) {
        long[] s = checkShape(shape);
        long bytes = byteSize(s, dtype);
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("data must hold " + bytes + " bytes for " + dtype + " "
                    + Arrays.toString(s) + ", got " + data.remaining());
        }
        Tensor host = empty(dtype, Device.cpu(), s);
        host.asByteBuffer().put(data.duplicate());
        if (device.isCpu()) {
            return host;
        }
        try (host) {
            return host.to(device);
        }
    }

    /**
     * Views memory that another framework owns. Closing the view releases nothing; the caller keeps the
     * memory alive while the view is used.
     *
     * @param address start of the data ({@code 0} only for an empty shape)
     * @throws IllegalArgumentException if the address is 0 for a non-empty shape or the shape is invalid
     */
    public static Tensor wrap(long address, DType dtype, Device device, long... shape) {
        long[] s = checkShape(shape);
        long bytes = byteSize(s, dtype);
        if (address == 0 && bytes > 0) {
            throw new IllegalArgumentException("address must not be 0 for " + Arrays.toString(s));
        }
        return new Tensor(s, dtype, device, NativeMemory.foreign(address, bytes, device));
    }

    /** Views memory held by a JavaCPP pointer; see {@link #wrap(long, DType, Device, long...)}. */
    public static Tensor wrap(Pointer pointer, DType dtype, Device device, long... shape) {
        if (pointer == null) {
            throw new IllegalArgumentException("pointer must not be null");
        }
        return wrap(pointer.address() + pointer.position() * Math.max(1, pointer.sizeof()), dtype, device, shape);
    }

    // ---- copies --------------------------------------------------------------------------------

    /** A copy of this tensor on {@code device} (a new tensor even when the device is the same). */
    public Tensor to(Device target) {
        checkOpen();
        Tensor out = empty(dtype, target, shape);
        try {
            out.copyFrom(this);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * Copies {@code src} into this tensor; both must have the same dtype and element count.
     *
     * @throws IllegalArgumentException if dtype or element count differ
     */
    public void copyFrom(Tensor src) {
        checkOpen();
        src.checkOpen();
        if (src.dtype != dtype || src.numel != numel) {
            throw new IllegalArgumentException("src must be " + dtype + " with " + numel + " elements, got "
                    + src.dtype + " with " + src.numel);
        }
        long bytes = byteSize();
        if (bytes == 0) {
            return;
        }
        if (device.isCpu() && src.device.isCpu()) {
            Pointer.memcpy(memory.pointer(), src.memory.pointer(), bytes);
            return;
        }
        Device gpu = device.isCuda() ? device : src.device;
        CopyDirection kind = src.device.isCpu() ? CopyDirection.HOST_TO_DEVICE
                : device.isCpu() ? CopyDirection.DEVICE_TO_HOST : CopyDirection.DEVICE_TO_DEVICE;
        CudaContext.use(gpu);
        CudaStream stream = CudaStream.current(gpu);
        NativeRuntime.copy(memory.pointer(), src.memory.pointer(), bytes, kind, stream,
                "copying " + src.device + " -> " + device);
        if (kind != CopyDirection.DEVICE_TO_DEVICE) {
            stream.synchronize(); // the host side may be read or freed as soon as we return
        }
    }

    /**
     * Asks the driver to migrate a {@link MemoryKind#MANAGED} tensor to {@code target} (a CUDA device, or
     * the CPU) ahead of use, on the device's current stream. Does nothing for other memory kinds.
     *
     * @return true when a prefetch was queued; false when the memory is not managed or the device cannot
     *         do concurrent managed access (the driver then migrates pages on demand)
     */
    public boolean prefetch(Device target) {
        checkOpen();
        if (memory.kind() != MemoryKind.MANAGED || byteSize() == 0) {
            return false;
        }
        Device gpu = target.isCuda() ? target : device;
        return NativeRuntime.prefetch(memory.pointer(), byteSize(), target, CudaStream.current(gpu));
    }

    /** Sets every byte to zero. */
    public void fillZero() {
        checkOpen();
        long bytes = byteSize();
        if (bytes == 0) {
            return;
        }
        if (device.isCpu()) {
            Pointer.memset(memory.pointer(), 0, bytes);
        } else {
            CudaContext.use(device);
            NativeRuntime.zero(memory.pointer(), bytes, device, CudaStream.current(device));
        }
    }

    /**
     * The values as floats (F32, F16 or BF16; 16-bit values are widened exactly).
     *
     * @throws UnsupportedOperationException for other dtypes
     */
    public float[] toFloatArray() {
        ByteBuffer b = hostBytes();
        float[] out = new float[Math.toIntExact(numel)];
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = HalfFloats.f16ToFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = HalfFloats.bf16ToFloat(b.getShort(2 * i));
                }
            }
            default -> throw unsupported("toFloatArray");
        }
        return out;
    }

    /** The raw 16-bit patterns of an F16 or BF16 tensor. @throws UnsupportedOperationException otherwise */
    public short[] toShortArray() {
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw unsupported("toShortArray");
        }
        short[] out = new short[Math.toIntExact(numel)];
        hostBytes().asShortBuffer().get(out);
        return out;
    }

    /** The bytes of a U8 or I8 tensor. @throws UnsupportedOperationException otherwise */
    public byte[] toByteArray() {
        if (dtype != DType.U8 && dtype != DType.I8) {
            throw unsupported("toByteArray");
        }
        byte[] out = new byte[Math.toIntExact(numel)];
        hostBytes().get(out);
        return out;
    }

    /** The values of an I32 tensor. @throws UnsupportedOperationException otherwise */
    public int[] toIntArray() {
        if (dtype != DType.I32) {
            throw unsupported("toIntArray");
        }
        int[] out = new int[Math.toIntExact(numel)];
        hostBytes().asIntBuffer().get(out);
        return out;
    }

    /** The values of an I64 tensor. @throws UnsupportedOperationException otherwise */
    public long[] toLongArray() {
        if (dtype != DType.I64) {
            throw unsupported("toLongArray");
        }
        long[] out = new long[Math.toIntExact(numel)];
        hostBytes().asLongBuffer().get(out);
        return out;
    }

    /**
     * A little-endian view of a CPU tensor's bytes (no copy); valid until the tensor closes.
     *
     * @throws IllegalStateException if the tensor is not on the CPU or is closed
     */
    public ByteBuffer asByteBuffer() {
        checkOpen();
        if (!device.isCpu()) {
            throw new IllegalStateException("asByteBuffer needs a CPU tensor, this one is on " + device
                    + "; copy it with to(Device.cpu()) first");
        }
        if (byteSize() == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        // a BytePointer view: its buffer covers exactly the tensor's bytes, whatever pointer class holds them
        return new BytePointer(memory.pointer()).capacity(byteSize()).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A little-endian heap copy of the bytes, from any device.
     *
     * @throws IllegalStateException if the tensor is closed
     */
    public ByteBuffer toByteBuffer() {
        ByteBuffer bytes = hostBytes();
        if (device.isCpu()) {
            ByteBuffer copy = ByteBuffer.allocate(Math.toIntExact(byteSize())).order(ByteOrder.LITTLE_ENDIAN);
            return copy.put(bytes).flip();
        }
        return bytes;
    }

    private ByteBuffer hostBytes() {
        checkOpen();
        if (device.isCpu()) {
            return asByteBuffer();
        }
        try (Tensor host = to(Device.cpu())) {
            ByteBuffer copy = ByteBuffer.allocate(Math.toIntExact(byteSize())).order(ByteOrder.LITTLE_ENDIAN);
            copy.put(host.asByteBuffer()).flip();
            return copy;
        }
    }

    // ---- accessors -----------------------------------------------------------------------------

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code dim}. @throws IndexOutOfBoundsException if out of range */
    public long size(int dim) {
        return shape[dim];
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements (1 for a scalar of shape []). */
    public long numel() {
        return numel;
    }

    /** Element type. */
    public DType dtype() {
        return dtype;
    }

    /** Where the memory lives. */
    public Device device() {
        return device;
    }

    /** How the memory was allocated. */
    public MemoryKind memoryKind() {
        return memory.kind();
    }

    /** Bytes of data. */
    public long byteSize() {
        return numel * dtype.byteSize();
    }

    /** Start address of the data, for interop. @throws IllegalStateException after close */
    public long address() {
        checkOpen();
        return memory.address();
    }

    /** The data as a JavaCPP pointer, for the native binding. @throws IllegalStateException after close */
    public Pointer pointer() {
        checkOpen();
        return memory.pointer();
    }

    /** True once closed. */
    public boolean isClosed() {
        return memory.isReleased();
    }

    /** Releases the memory (nothing for a wrapped tensor); later calls do nothing. */
    @Override
    public void close() {
        memory.release();
    }

    @Override
    public String toString() {
        return "Tensor" + describe(shape, dtype, device) + (isClosed() ? " (closed)" : "");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void checkOpen() {
        if (memory.isReleased()) {
            throw new IllegalStateException("tensor " + describe(shape, dtype, device) + " is closed");
        }
    }

    private UnsupportedOperationException unsupported(String op) {
        return new UnsupportedOperationException(op + " does not support dtype " + dtype + " on " + device);
    }

    private static void requireCudaDevice(Device device, String op) {
        if (!device.isCuda()) {
            throw new IllegalArgumentException(op + ": device must be a CUDA device, got " + device);
        }
    }

    private static String describe(long[] shape, DType dtype, Device device) {
        return Arrays.toString(shape) + " " + dtype + " on " + device;
    }

    private static long[] checkShape(long[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException("shape must not be null");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape dimensions must be >= 0, got " + Arrays.toString(shape));
            }
        }
        return shape.clone();
    }

    private static void checkLength(int length, long[] shape) {
        long n = numel(checkShape(shape));
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements, but " + length + " values were given");
        }
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static long byteSize(long[] shape, DType dtype) {
        try {
            return Math.multiplyExact(numel(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " overflows");
        }
    }
}
