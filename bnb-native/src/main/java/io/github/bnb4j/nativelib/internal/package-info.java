/**
 * Internal: the JavaCPP binding of the C API ({@code BnbC}, generated from {@code csrc/include/bnb}) and the
 * translation of its status codes into exceptions ({@link io.github.bnb4j.nativelib.internal.NativeStatus}).
 *
 * <p><b>Not API.</b> Nothing here is covered by compatibility promises; it changes with the C API. Only bnb4j's
 * own modules use it, and within bnb-core only the facades of {@code io.github.bnb4j.core.internal}
 * ({@code NativeRuntime}, {@code NativeQuant}, {@code NativeOptim}): every native call of the library goes
 * through one of them. Applications use {@code Tensor}, the functional ops and the optimizers instead.
 */
package io.github.bnb4j.nativelib.internal;
