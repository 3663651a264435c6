/**
 * Tensors, devices, streams and their memory.
 *
 * <h2>Conventions of every public method in bnb-core</h2>
 * <ul>
 *   <li><b>Null.</b> An argument that must be an object and is given {@code null} throws
 *       {@link java.lang.NullPointerException} whose message is the argument's name
 *       ({@code Objects.requireNonNull(x, "x")}, as the JDK does), before anything is changed. Where
 *       {@code null} is allowed (an optional operand), the javadoc says so.</li>
 *   <li><b>Bad values.</b> {@link java.lang.IllegalArgumentException} naming the argument, its value and what
 *       is allowed. Shapes whose element or byte count overflows a {@code long} are bad values too
 *       ({@link io.github.bnb4j.core.Shapes#numel}), never an {@link java.lang.ArithmeticException}.</li>
 *   <li><b>Closed objects.</b> {@link java.lang.IllegalStateException}, also when another thread closed the
 *       object during the call; never a crash (see {@link io.github.bnb4j.core.TensorUse}).</li>
 *   <li><b>Out of memory.</b> Host: {@link java.lang.OutOfMemoryError} with the bytes asked; device:
 *       {@link io.github.bnb4j.nativelib.OutOfDeviceMemoryException}.</li>
 * </ul>
 */
package io.github.bnb4j.core;
