/**
 * Internal: the one native boundary of bnb4j. Every call of the C API ({@code io.github.bnb4j.nativelib.internal.BnbC})
 * goes through a facade here, one per family of the C API ({@code csrc/include/bnb/*.h}):
 * {@link io.github.bnb4j.core.internal.NativeRuntime} (bnb/runtime.h: memory, copies, streams, events, the
 * backend), {@link io.github.bnb4j.core.internal.NativeQuant} (bnb/quant.h) and
 * {@link io.github.bnb4j.core.internal.NativeOptim} (bnb/optim.h). A facade picks the CPU or CUDA entry point,
 * passes the buffer lengths the C API checks, queues work on the calling thread's current stream, and turns a
 * failed status into an exception. A new family of the C API gets its own facade beside these.
 *
 * <p><b>Not API.</b> Nothing here is covered by compatibility promises; bnb4j's modules use it (bnb-optim uses
 * {@code io.github.bnb4j.core.internal.optim}), applications do not. The javadoc of the published API leaves
 * these packages out.
 */
package io.github.bnb4j.core.internal;
