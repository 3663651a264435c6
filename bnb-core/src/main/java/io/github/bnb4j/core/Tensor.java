package io.github.bnb4j.core;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.TensorCopies.Direction;
import io.github.bnb4j.nativelib.Bnb;
import org.bytedeco.javacpp.Pointer;

/**
 * A dense, contiguous, row-major array of one {@link DType} on one {@link Device}, owning its memory
 * (unless {@linkplain #wrap(long, DType, Device, long...) wrapped}, or a {@linkplain #reshape view} of
 * another tensor).
 *
 * <p>Memory is released by {@link #close()} (idempotent) or by the {@link TensorScope} the tensor was made
 * in, never by the garbage collector: a tensor collected while open is reported by a WARN log line and
 * its memory is leaked. Any use after close throws {@link IllegalStateException}.
 *
 * <p><b>Threads.</b> A tensor may be used and closed from several threads. Every operation, and every
 * native call wrapped in a {@link TensorUse} ({@link #acquire()}), holds a use of the memory; {@code close()}
 * marks the tensor closed at once (later uses throw {@link IllegalStateException}) and frees the memory
 * when the last use in progress ends, so closing a tensor that another thread is using never crashes.
 * Writing one tensor from two threads at once is a data race on its values (not a crash), as with arrays.
 *
 * <p><b>Views.</b> {@link #reshape} and {@link #narrow} share their owner's memory: closing a view frees
 * nothing, and closing the owner makes its views unusable (they throw {@link IllegalStateException}), while
 * a call in progress through a view keeps the owner's memory alive until it returns.
 *
 * <p>16-bit floats are exchanged with Java as {@code short} bit patterns ({@link #fromShorts},
 * {@link #toShortArray}) or converted to and from {@code float} ({@link #fromFloats}, {@link #toFloatArray}).
 * Host copies to and from a GPU synchronize the device's current {@link CudaStream}.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner LEAK_DETECTOR = Cleaner.create();

    private final long[] shape;
    private final long numel;
    private final DType dtype;
    private final Device device;
    private final NativeMemory memory;

    /** The tensor over {@code memory}; {@code shape} must be a valid shape the caller no longer changes. */
    Tensor(long[] shape, DType dtype, Device device, NativeMemory memory) {
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        this.dtype = dtype;
        this.device = device;
        this.memory = memory;
        if (!memory.isView()) { // a view owns nothing, so it cannot leak
            LEAK_DETECTOR.register(this, new TensorLeakReport(memory, description()));
        }
        TensorScope.register(this);
    }

    // ---- creation ------------------------------------------------------------------------------

    /**
     * An uninitialised tensor. On a GPU its memory comes from the device's stream-ordered pool on the thread's
     * {@linkplain CudaStream#current current stream}, and closing it returns the memory in that stream's order:
     * neither allocating nor freeing waits for the GPU. Like any stream-ordered allocation it is ready on that stream
     * at once and on another stream once that stream is ordered after it (an event or a synchronisation); a
     * tensor used on another stream must be closed after that stream's work is ordered before the free (as torch's
     * {@code record_stream}). Tensors made while a {@linkplain CudaStream#wrap wrapped} stream of another framework
     * is current use plain allocations, whose free waits for the device.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a dimension is negative or the byte size overflows
     * @throws OutOfMemoryError         if the host has not enough memory for a CPU tensor
     * @throws io.github.bnb4j.nativelib.OutOfDeviceMemoryException if the GPU has not enough memory
     */
    public static Tensor empty(DType dtype, Device device, long... shape) {
        Objects.requireNonNull(device, "device");
        long[] s = TensorChecks.checkShape(shape);
        long bytes = Shapes.byteSize(s, dtype);
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
        Objects.requireNonNull(device, "device");
        TensorChecks.requireCudaDevice(device, "emptyManaged");
        CudaContext.use(device);
        long[] s = TensorChecks.checkShape(shape);
        long bytes = Shapes.byteSize(s, dtype);
        return new Tensor(s, dtype, device, NativeMemory.allocate(bytes, MemoryKind.MANAGED, device));
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
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(dtype, "dtype");
        HostArrays.checkLength(values.length, shape);
        return fromBuffer(HostArrays.encodeFloats(values, dtype), dtype, device, shape);
    }

    /**
     * Copies 16-bit float bit patterns into a new F16 or BF16 tensor.
     *
     * @throws IllegalArgumentException if {@code dtype} is not F16 or BF16 or the shape does not match
     */
    public static Tensor fromShorts(short[] bits, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(bits, "bits");
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("dtype must be F16 or BF16, got " + dtype);
        }
        HostArrays.checkLength(bits.length, shape);
        return fromBuffer(HostArrays.encodeShorts(bits, dtype), dtype, device, shape);
    }

    /**
     * Copies bytes into a new U8 or I8 tensor.
     *
     * @throws IllegalArgumentException if {@code dtype} is not U8 or I8 or the shape does not match
     */
    public static Tensor fromBytes(byte[] values, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(values, "values");
        if (dtype != DType.U8 && dtype != DType.I8) {
            throw new IllegalArgumentException("dtype must be U8 or I8, got " + dtype);
        }
        HostArrays.checkLength(values.length, shape);
        return fromBuffer(ByteBuffer.wrap(values), dtype, device, shape);
    }

    /** Copies ints into a new I32 tensor. @throws IllegalArgumentException if the shape does not match */
    public static Tensor fromInts(int[] values, Device device, long... shape) {
        Objects.requireNonNull(values, "values");
        HostArrays.checkLength(values.length, shape);
        return fromBuffer(HostArrays.encodeInts(values), DType.I32, device, shape);
    }

    /** Copies longs into a new I64 tensor. @throws IllegalArgumentException if the shape does not match */
    public static Tensor fromLongs(long[] values, Device device, long... shape) {
        Objects.requireNonNull(values, "values");
        HostArrays.checkLength(values.length, shape);
        return fromBuffer(HostArrays.encodeLongs(values), DType.I64, device, shape);
    }

    /**
     * Copies the remaining bytes of {@code data} (little-endian element encoding) into a new tensor.
     *
     * @throws IllegalArgumentException if {@code data.remaining()} is not the shape's byte size
     */
    public static Tensor fromBuffer(ByteBuffer data, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(data, "data");
        long[] s = TensorChecks.checkShape(shape);
        long bytes = Shapes.byteSize(s, dtype);
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("data must hold " + bytes + " bytes for " + dtype + " "
                    + Arrays.toString(s) + ", got " + data.remaining());
        }
        Tensor out = empty(dtype, device, s);
        try {
            out.copyFromHost(0, data.duplicate());
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * Views memory that another framework owns. Closing the view releases nothing; the caller keeps the
     * memory alive while the view is used.
     *
     * @param address start of the data ({@code 0} only for an empty shape)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the address is 0 for a non-empty shape or the shape is invalid
     */
    public static Tensor wrap(long address, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(device, "device");
        long[] s = TensorChecks.checkShape(shape);
        long bytes = Shapes.byteSize(s, dtype);
        if (address == 0 && bytes > 0) {
            throw new IllegalArgumentException("address must not be 0 for " + Arrays.toString(s));
        }
        return new Tensor(s, dtype, device, NativeMemory.foreign(address, bytes, device));
    }

    /**
     * Views memory held by a JavaCPP pointer; see {@link #wrap(long, DType, Device, long...)}.
     *
     * @throws NullPointerException if an argument is null
     */
    public static Tensor wrap(Pointer pointer, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(pointer, "pointer");
        return wrap(pointer.address() + pointer.position() * Math.max(1, pointer.sizeof()), dtype, device, shape);
    }

    // ---- copies --------------------------------------------------------------------------------

    /**
     * A copy of this tensor on {@code device} (a new tensor even when the device is the same).
     *
     * @throws NullPointerException  if {@code target} is null
     * @throws IllegalStateException if this tensor is closed
     */
    public Tensor to(Device target) {
        Objects.requireNonNull(target, "target");
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
     * @throws NullPointerException     if {@code src} is null
     * @throws IllegalArgumentException if dtype or element count differ
     * @throws IllegalStateException    if either tensor is closed
     */
    public void copyFrom(Tensor src) {
        Objects.requireNonNull(src, "src");
        checkOpen();
        src.checkOpen();
        if (src.dtype != dtype || src.numel != numel) {
            throw new IllegalArgumentException("src must be " + dtype + " with " + numel + " elements, got "
                    + src.dtype + " with " + src.numel);
        }
        try (TensorUse use = TensorUse.of(this, src)) {
            TensorCopies.copyBytes(this, src);
        }
    }

    /**
     * Asks the driver to migrate a {@link MemoryKind#MANAGED} tensor to {@code target} (a CUDA device, or
     * the CPU) ahead of use, on the device's current stream. Does nothing for other memory kinds.
     *
     * @return true when a prefetch was queued; false when the memory is not managed or the device cannot
     *         do concurrent managed access (the driver then migrates pages on demand)
     * @throws NullPointerException  if {@code target} is null
     * @throws IllegalStateException if the tensor is closed
     */
    public boolean prefetch(Device target) {
        Objects.requireNonNull(target, "target");
        checkOpen();
        if (memory.kind() != MemoryKind.MANAGED || byteSize() == 0) {
            return false;
        }
        try (TensorUse use = acquire()) {
            return TensorCopies.prefetchManaged(this, target);
        }
    }

    /** Sets every byte to zero. @throws IllegalStateException if the tensor is closed */
    public void fillZero() {
        try (TensorUse use = acquire()) {
            TensorCopies.zero(this);
        }
    }

    /**
     * The values as floats (F32, F16 or BF16; 16-bit values are widened exactly).
     *
     * @throws UnsupportedOperationException for other dtypes
     * @throws IllegalStateException         if the tensor is closed or has more elements than a Java array holds
     */
    public float[] toFloatArray() {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw unsupported("toFloatArray");
        }
        float[] out = new float[TensorChecks.arrayLength(this, "toFloatArray")];
        HostArrays.decodeFloats(TensorCopies.hostCopy(this), dtype, out);
        return out;
    }

    /**
     * The raw 16-bit patterns of an F16 or BF16 tensor.
     *
     * @throws UnsupportedOperationException for other dtypes
     * @throws IllegalStateException         if the tensor is closed or has more elements than a Java array holds
     */
    public short[] toShortArray() {
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw unsupported("toShortArray");
        }
        short[] out = new short[TensorChecks.arrayLength(this, "toShortArray")];
        TensorCopies.hostCopy(this).asShortBuffer().get(out);
        return out;
    }

    /**
     * The bytes of a U8 or I8 tensor.
     *
     * @throws UnsupportedOperationException for other dtypes
     * @throws IllegalStateException         if the tensor is closed or has more elements than a Java array holds
     */
    public byte[] toByteArray() {
        if (dtype != DType.U8 && dtype != DType.I8) {
            throw unsupported("toByteArray");
        }
        byte[] out = new byte[TensorChecks.arrayLength(this, "toByteArray")];
        TensorCopies.hostCopy(this).get(out);
        return out;
    }

    /**
     * The values of an I32 tensor.
     *
     * @throws UnsupportedOperationException for other dtypes
     * @throws IllegalStateException         if the tensor is closed or has more elements than a Java array holds
     */
    public int[] toIntArray() {
        if (dtype != DType.I32) {
            throw unsupported("toIntArray");
        }
        int[] out = new int[TensorChecks.arrayLength(this, "toIntArray")];
        TensorCopies.hostCopy(this).asIntBuffer().get(out);
        return out;
    }

    /**
     * The values of an I64 tensor.
     *
     * @throws UnsupportedOperationException for other dtypes
     * @throws IllegalStateException         if the tensor is closed or has more elements than a Java array holds
     */
    public long[] toLongArray() {
        if (dtype != DType.I64) {
            throw unsupported("toLongArray");
        }
        long[] out = new long[TensorChecks.arrayLength(this, "toLongArray")];
        TensorCopies.hostCopy(this).asLongBuffer().get(out);
        return out;
    }

    /**
     * A little-endian view of a CPU tensor's bytes (no copy). The buffer holds a use of the memory: after
     * {@link #close()} the memory is freed only once the buffer (and every buffer derived from it) has been
     * garbage-collected, so a buffer kept past close never reads freed memory. Prefer
     * {@link #copyToHost}/{@link #copyFromHost} where a copy will do.
     *
     * @throws IllegalStateException if the tensor is not on the CPU, is closed, or is larger than a
     *                               {@code ByteBuffer} holds ({@value Integer#MAX_VALUE} bytes; use
     *                               {@link #asByteBuffer(long, int)} for a range)
     */
    public ByteBuffer asByteBuffer() {
        return TensorViews.byteBuffer(this);
    }

    /**
     * A little-endian view of {@code length} bytes of a CPU tensor from {@code byteOffset} (no copy), with
     * the lifetime rule of {@link #asByteBuffer()}. This is how tensors of 2 GiB or more are read and
     * written through buffers, one range at a time.
     *
     * @throws IllegalArgumentException if the range is not within the tensor's bytes
     * @throws IllegalStateException    if the tensor is not on the CPU or is closed
     */
    public ByteBuffer asByteBuffer(long byteOffset, int length) {
        return TensorViews.byteBuffer(this, byteOffset, length);
    }

    /**
     * A little-endian heap copy of the bytes, from any device.
     *
     * @throws IllegalStateException if the tensor is closed or larger than a {@code ByteBuffer} holds
     */
    public ByteBuffer toByteBuffer() {
        return TensorCopies.hostCopy(this);
    }

    /**
     * Copies {@code dst.remaining()} bytes of this tensor, starting at byte {@code byteOffset}, into
     * {@code dst} (advancing its position), from any device. Tensors of any size are read this way in
     * ranges.
     *
     * @throws NullPointerException     if {@code dst} is null
     * @throws IllegalArgumentException if the range is not within the tensor's bytes or {@code dst} is
     *                                  read-only
     * @throws IllegalStateException    if the tensor is closed
     */
    public void copyToHost(long byteOffset, ByteBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst must be writable, got a read-only buffer");
        }
        TensorCopies.transfer(this, byteOffset, dst, Direction.TO_HOST);
    }

    /**
     * Copies {@code src.remaining()} bytes (little-endian element encoding) into this tensor, starting at
     * byte {@code byteOffset} (advancing {@code src}'s position), on any device.
     *
     * @throws NullPointerException     if {@code src} is null
     * @throws IllegalArgumentException if the range is not within the tensor's bytes
     * @throws IllegalStateException    if the tensor is closed
     */
    public void copyFromHost(long byteOffset, ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        TensorCopies.transfer(this, byteOffset, src, Direction.FROM_HOST);
    }

    // ---- views ---------------------------------------------------------------------------------

    /**
     * A view of the same memory with another shape holding the same number of elements (the memory is
     * contiguous, so every reshape is a view). See the class comment for the lifetime of views.
     *
     * @throws NullPointerException     if {@code newShape} is null
     * @throws IllegalArgumentException if {@code newShape} is invalid or holds another number of elements
     * @throws IllegalStateException    if the tensor is closed
     */
    public Tensor reshape(long... newShape) {
        return TensorViews.reshape(this, newShape);
    }

    /**
     * A view of rows {@code [start, start + length)} along dimension 0 (upstream {@code narrow(0, start,
     * length)}): shape {@code [length, shape[1], ...]}, contiguous because the layout is row-major.
     *
     * @throws IllegalArgumentException if the tensor is a scalar or the range is not within
     *                                  {@code [0, size(0)]}
     * @throws IllegalStateException    if the tensor is closed
     */
    public Tensor narrow(long start, long length) {
        return TensorViews.narrow(this, start, length);
    }

    /** True for a view made by {@link #reshape} or {@link #narrow}, which owns no memory. */
    public boolean isView() {
        return memory.isView();
    }

    // ---- uses ----------------------------------------------------------------------------------

    /**
     * Begins a use of this tensor for a native call: until the returned use is closed, {@link #close()} from
     * any thread does not free the memory. See {@link TensorUse}.
     *
     * @throws IllegalStateException if the tensor is closed
     */
    public TensorUse acquire() {
        return TensorUse.of(this);
    }

    void beginUse() {
        if (!memory.tryBeginUse()) {
            throw closedError();
        }
    }

    void endUse() {
        memory.endUse();
    }

    // ---- accessors -----------------------------------------------------------------------------

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code dim}. @throws IndexOutOfBoundsException if out of range */
    public long size(int dim) {
        Objects.checkIndex(dim, shape.length);
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

    /**
     * Start address of the data, for interop. Native code may use it only while a {@link TensorUse} of this
     * tensor is open; otherwise another thread's {@link #close()} may free the memory under it.
     *
     * @throws IllegalStateException after close
     */
    public long address() {
        checkOpen();
        return memory.address();
    }

    /**
     * The data as a JavaCPP pointer, for the native binding; hold a {@link TensorUse} while native code uses
     * it (see {@link #address()}).
     *
     * @throws IllegalStateException after close
     */
    public Pointer pointer() {
        checkOpen();
        return memory.pointer();
    }

    /** True once closed; a view is also closed once its owner is. */
    public boolean isClosed() {
        return memory.isClosed();
    }

    /**
     * Releases the memory (nothing for a wrapped tensor or a view); later calls do nothing. Safe while other
     * threads use the tensor: the memory is freed when the last use in progress ends.
     */
    @Override
    public void close() {
        memory.close();
    }

    @Override
    public String toString() {
        return "Tensor" + description() + (isClosed() ? " (closed)" : "");
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** The memory, for the package helpers; callers hold a use while they touch it. */
    NativeMemory memory() {
        return memory;
    }

    void checkOpen() {
        if (memory.isClosed()) {
            throw closedError();
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("tensor " + description() + " is closed");
    }

    private UnsupportedOperationException unsupported(String op) {
        return new UnsupportedOperationException(op + " does not support dtype " + dtype + " on " + device);
    }

    /** Shape, dtype and device, for messages. */
    String description() {
        return Arrays.toString(shape) + " " + dtype + " on " + device;
    }
}
