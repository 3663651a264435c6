/**
 * The functional ops the layers of bnb-nn are built from, each with its backward: {@link
 * io.github.bnb4j.core.functional.nn.Activations} (ReLU, GELU, tanh, SiLU, SwiGLU), {@link
 * io.github.bnb4j.core.functional.nn.Elementwise} (add, mul, scale, column sums), {@link
 * io.github.bnb4j.core.functional.nn.LayerNorms}, {@link io.github.bnb4j.core.functional.nn.Embeddings}, {@link
 * io.github.bnb4j.core.functional.nn.Dropout} and {@link io.github.bnb4j.core.functional.nn.CrossEntropy}.
 *
 * <p>Float tensors are F32, F16 or BF16; arithmetic is f32 and every output element is rounded once to the
 * tensor's dtype. An op runs on its inputs' device, on CUDA on the calling thread's current stream without a host
 * sync, and checks every argument before a kernel runs (an op that throws has written nothing). The CPU and CUDA
 * backends compute the same formulas (to an ulp or two of the transcendentals; dropout's mask bit for bit).
 */
package io.github.bnb4j.core.functional.nn;
