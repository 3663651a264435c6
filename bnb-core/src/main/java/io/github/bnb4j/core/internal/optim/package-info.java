/**
 * Internal: the optimizer family's native facade ({@link io.github.bnb4j.core.internal.optim.OptimizerKernels})
 * and the argument types of its one call ({@link io.github.bnb4j.core.internal.optim.OptimizerSlot},
 * {@link io.github.bnb4j.core.internal.optim.Hyperparameters}).
 *
 * <p><b>Not API.</b> bnb-optim's optimizers call it; applications use those optimizers. See
 * {@code io.github.bnb4j.core.internal}.
 */
package io.github.bnb4j.core.internal.optim;
