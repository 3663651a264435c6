package io.github.bnb4j.core;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.internal.NativeRuntime;
import io.github.bnb4j.core.internal.NativeRuntime.CopyDirection;
import io.github.bnb4j.nativelib.Bnb;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(Tensor.class);
    private static final Cleaner LEAK_DETECTOR = Cleaner.create();
    /** Ends the use that a buffer of {@link #asByteBuffer} holds once the buffer is unreachable. */
    private static final Cleaner BUFFER_USES = Cleaner.create();
    /** Heap buffers go to and from a GPU through a direct buffer of at most this size. */
    private static final int STAGING_BYTES = 8 << 20;
    /** The VM's soft limit on array lengths, a few words below {@code Integer.MAX_VALUE}. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final long[] shape;
    private final long numel;
    private final DType dtype;
    private final Device device;
    private final NativeMemory memory;

    private Tensor(long[] shape, DType dtype, Device device, NativeMemory memory) {
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        this.dtype = dtype;
        this.device = device;
        this.memory = memory;
        if (!memory.isView()) { // a view owns nothing, so it cannot leak
            LEAK_DETECTOR.register(this, new LeakReport(memory, describe(shape, dtype, device)));
        }
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
            if (!memory.isClosed() && memory.kind() != MemoryKind.FOREIGN && memory.bytes() > 0) {
                LOG.warn("bnb4j: a tensor {} was garbage-collected without close(); its {} bytes leaked",
                        description, memory.bytes());
            }
        }
    }

    // ---- creation ------------------------------------------------------------------------------

    /**
     * An uninitialised tensor.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a dimension is negative or the byte size overflows
     * @throws OutOfMemoryError         if the host has not enough memory for a CPU tensor
     * @throws io.github.bnb4j.nativelib.OutOfDeviceMemoryException if the GPU has not enough memory
     */
    public static Tensor empty(DType dtype, Device device, long... shape) {
        Objects.requireNonNull(device, "device");
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
        Objects.requireNonNull(device, "device");
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
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(dtype, "dtype");
        checkLength(values.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(heapBytes(values.length, dtype)).order(ByteOrder.LITTLE_ENDIAN);
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
        Objects.requireNonNull(bits, "bits");
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("dtype must be F16 or BF16, got " + dtype);
        }
        checkLength(bits.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(heapBytes(bits.length, dtype)).order(ByteOrder.LITTLE_ENDIAN);
        buf.asShortBuffer().put(bits);
        return fromBuffer(buf, dtype, device, shape);
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
        checkLength(values.length, shape);
        return fromBuffer(ByteBuffer.wrap(values), dtype, device, shape);
    }

    /** Copies ints into a new I32 tensor. @throws IllegalArgumentException if the shape does not match */
    public static Tensor fromInts(int[] values, Device device, long... shape) {
        Objects.requireNonNull(values, "values");
        checkLength(values.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(heapBytes(values.length, DType.I32)).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(values);
        return fromBuffer(buf, DType.I32, device, shape);
    }

    /** Copies longs into a new I64 tensor. @throws IllegalArgumentException if the shape does not match */
    public static Tensor fromLongs(long[] values, Device device, long... shape) {
        Objects.requireNonNull(values, "values");
        checkLength(values.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(heapBytes(values.length, DType.I64)).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(values);
        return fromBuffer(buf, DType.I64, device, shape);
    }

    /**
     * Copies the remaining bytes of {@code data} (little-endian element encoding) into a new tensor.
     *
     * @throws IllegalArgumentException if {@code data.remaining()} is not the shape's byte size
     */
    public static Tensor fromBuffer(ByteBuffer data, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(data, "data");
        long[] s = checkShape(shape);
        long bytes = byteSize(s, dtype);
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
        long[] s = checkShape(shape);
        long bytes = byteSize(s, dtype);
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
            copyBytesFrom(src);
        }
    }

    /** The copy itself; the caller holds uses of both tensors. */
    private void copyBytesFrom(Tensor src) {
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
            return prefetchManaged(target);
        }
    }

    private boolean prefetchManaged(Device target) {
        Device gpu = target.isCuda() ? target : device;
        return NativeRuntime.prefetch(memory.pointer(), byteSize(), target, CudaStream.current(gpu));
    }

    /** Sets every byte to zero. @throws IllegalStateException if the tensor is closed */
    public void fillZero() {
        try (TensorUse use = acquire()) {
            zeroBytes();
        }
    }

    private void zeroBytes() {
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
     * @throws IllegalStateException         if the tensor is closed or has more elements than a Java array holds
     */
    public float[] toFloatArray() {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw unsupported("toFloatArray");
        }
        float[] out = new float[arrayLength("toFloatArray")];
        ByteBuffer b = hostBytes();
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
        short[] out = new short[arrayLength("toShortArray")];
        hostBytes().asShortBuffer().get(out);
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
        byte[] out = new byte[arrayLength("toByteArray")];
        hostBytes().get(out);
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
        int[] out = new int[arrayLength("toIntArray")];
        hostBytes().asIntBuffer().get(out);
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
        long[] out = new long[arrayLength("toLongArray")];
        hostBytes().asLongBuffer().get(out);
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
        long bytes = byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + describe(shape, dtype, device) + " is " + bytes
                    + " bytes; a ByteBuffer holds at most " + Integer.MAX_VALUE
                    + "; use asByteBuffer(byteOffset, length) for a range, or copyToHost");
        }
        return asByteBuffer(0, (int) bytes);
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
        checkByteRange(byteOffset, length);
        if (!device.isCpu()) {
            throw new IllegalStateException("asByteBuffer needs a CPU tensor, this one is on " + device
                    + "; copy it with to(Device.cpu()) or copyToHost first");
        }
        if (length == 0) {
            checkOpen();
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        TensorUse use = acquire();
        ByteBuffer view = hostView(byteOffset, length);
        BUFFER_USES.register(view, use::close); // the use ends when the buffer becomes unreachable
        return view;
    }

    /**
     * A little-endian heap copy of the bytes, from any device.
     *
     * @throws IllegalStateException if the tensor is closed or larger than a {@code ByteBuffer} holds
     */
    public ByteBuffer toByteBuffer() {
        return hostBytes();
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
        transfer(byteOffset, dst, Direction.TO_HOST);
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
        transfer(byteOffset, src, Direction.FROM_HOST);
    }

    private enum Direction { TO_HOST, FROM_HOST }

    private void transfer(long byteOffset, ByteBuffer host, Direction direction) {
        int length = host.remaining();
        checkByteRange(byteOffset, length);
        try (TensorUse use = acquire()) {
            if (length == 0) {
                return;
            }
            if (device.isCpu()) {
                ByteBuffer mine = hostView(byteOffset, length);
                if (direction == Direction.TO_HOST) {
                    host.put(mine);
                } else {
                    mine.put(host);
                }
                return;
            }
            // a device copy needs a host address: a direct buffer has one, a heap buffer is staged through one
            ByteBuffer staging = host.isDirect() ? null : ByteBuffer.allocateDirect(Math.min(length, STAGING_BYTES));
            int step = staging == null ? length : staging.capacity();
            for (int done = 0; done < length; done += step) {
                int n = Math.min(length - done, step);
                ByteBuffer part = host.slice().limit(n);
                ByteBuffer direct = staging == null ? part : staging.clear().limit(n);
                if (direction == Direction.FROM_HOST && staging != null) {
                    direct.put(part.duplicate()).flip();
                }
                try (Tensor hostSide = wrap(new BytePointer(direct), DType.U8, Device.cpu(), n);
                        Tensor deviceSide = byteRange(byteOffset + done, n)) {
                    if (direction == Direction.TO_HOST) {
                        hostSide.copyBytesFrom(deviceSide);
                    } else {
                        deviceSide.copyBytesFrom(hostSide);
                    }
                }
                if (direction == Direction.TO_HOST && staging != null) {
                    part.put(direct);
                }
                host.position(host.position() + n);
            }
        }
    }

    private ByteBuffer hostBytes() {
        long bytes = byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + describe(shape, dtype, device) + " is " + bytes
                    + " bytes, more than a ByteBuffer holds; read it in ranges with copyToHost");
        }
        ByteBuffer copy = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        copyToHost(0, copy);
        return copy.flip();
    }

    /** A buffer over a CPU range; the caller holds a use for as long as it reads the buffer. */
    private ByteBuffer hostView(long byteOffset, int length) {
        return new BytePointer(Pointers.at(memory.address() + byteOffset)).capacity(length).asByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
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
        long[] s = checkShape(newShape);
        long n = Shapes.numel(s);
        if (n != numel) {
            throw new IllegalArgumentException("newShape " + Arrays.toString(s) + " holds " + n
                    + " elements, but the tensor " + Arrays.toString(shape) + " holds " + numel);
        }
        checkOpen();
        return new Tensor(s, dtype, device, NativeMemory.view(memory, 0, byteSize()));
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
        if (shape.length == 0) {
            throw new IllegalArgumentException("narrow needs a tensor of rank >= 1, got a scalar");
        }
        if (start < 0 || length < 0 || start > shape[0] - length) {
            throw new IllegalArgumentException("rows [start, start + length) must lie within [0, " + shape[0]
                    + "], got start " + start + ", length " + length);
        }
        checkOpen();
        long[] s = shape.clone();
        s[0] = length;
        long rowBytes = shape[0] == 0 ? 0 : byteSize() / shape[0];
        return new Tensor(s, dtype, device, NativeMemory.view(memory, start * rowBytes, length * rowBytes));
    }

    /** True for a view made by {@link #reshape} or {@link #narrow}, which owns no memory. */
    public boolean isView() {
        return memory.isView();
    }

    /** A flat U8 view of a byte range, for copies in ranges. */
    private Tensor byteRange(long byteOffset, long length) {
        return new Tensor(new long[] {length}, DType.U8, device, NativeMemory.view(memory, byteOffset, length));
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
        return "Tensor" + describe(shape, dtype, device) + (isClosed() ? " (closed)" : "");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void checkOpen() {
        if (memory.isClosed()) {
            throw closedError();
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("tensor " + describe(shape, dtype, device) + " is closed");
    }

    private void checkByteRange(long byteOffset, long length) {
        long bytes = byteSize();
        if (byteOffset < 0 || length < 0 || byteOffset > bytes - length) {
            throw new IllegalArgumentException("byte range [" + byteOffset + ", " + byteOffset + " + " + length
                    + ") must lie within the tensor's " + bytes + " bytes");
        }
    }

    /** The element count as an array length. @throws IllegalStateException if no Java array holds it */
    private int arrayLength(String op) {
        checkOpen();
        if (numel > MAX_ARRAY_LENGTH) {
            throw new IllegalStateException(op + ": tensor " + describe(shape, dtype, device) + " has " + numel
                    + " elements, more than a Java array holds (" + MAX_ARRAY_LENGTH + "); read it in ranges"
                    + " with copyToHost");
        }
        return (int) numel;
    }

    /** Bytes of a heap buffer for {@code length} elements. @throws IllegalArgumentException over 2 GiB */
    private static int heapBytes(int length, DType dtype) {
        long bytes = (long) length * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(length + " values of " + dtype + " are " + bytes
                    + " bytes, more than one heap buffer holds; create the tensor with empty() and fill it in"
                    + " ranges with copyFromHost");
        }
        return (int) bytes;
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

    /** A copy of a valid shape. @throws IllegalArgumentException as {@link Shapes#numel} */
    private static long[] checkShape(long[] shape) {
        Shapes.numel(shape);
        return shape.clone();
    }

    private static void checkLength(int length, long[] shape) {
        long n = Shapes.numel(shape);
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements, but " + length + " values were given");
        }
    }

    private static long byteSize(long[] shape, DType dtype) {
        return Shapes.byteSize(shape, dtype);
    }
}
