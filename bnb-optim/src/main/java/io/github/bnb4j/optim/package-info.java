/**
 * Optimizers with 32-bit and 8-bit blockwise state (bitsandbytes' optimizer family). Built on the
 * functional ops of {@code io.github.bnb4j.core}; the kernels live in {@code csrc/src/*\/optim}.
 */
package io.github.bnb4j.optim;
