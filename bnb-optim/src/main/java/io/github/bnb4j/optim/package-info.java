/**
 * Optimizers with 32-bit and 8-bit blockwise state: the bitsandbytes optimizer family for the JVM.
 *
 * <pre>{@code
 * List<Parameter> params = model.parameters();
 * try (Adam8bit adam = Adam8bit.builder().params(params).lr(1e-3f).betas(0.9f, 0.995f).build()) {
 *     for (Batch batch : data) {
 *         adam.zeroGrad();
 *         float loss = forwardAndBackward(batch);   // sets each Parameter's gradient
 *         adam.step();
 *     }
 *     adam.save(Path.of("optimizer.safetensors"));
 * }
 * }</pre>
 *
 * <p>The classes keep upstream's names, arguments and defaults: {@link io.github.bnb4j.optim.Adam},
 * {@link io.github.bnb4j.optim.AdamW}, {@link io.github.bnb4j.optim.AdEMAMix}, {@link io.github.bnb4j.optim.Lion}
 * (each also as {@code 8bit}, {@code 32bit}, {@code Paged}, {@code Paged...8bit} and {@code Paged...32bit}),
 * {@link io.github.bnb4j.optim.LAMB}, {@link io.github.bnb4j.optim.LARS}, {@link io.github.bnb4j.optim.SGD},
 * {@link io.github.bnb4j.optim.RMSprop} and {@link io.github.bnb4j.optim.Adagrad} (each also as {@code 8bit} and
 * {@code 32bit}). All of them are thin: {@link io.github.bnb4j.optim.Optimizer} holds the machinery, the kernels
 * ({@code io.github.bnb4j.core.internal.optim.OptimizerKernels}) the arithmetic. Per-parameter overrides go
 * through {@link io.github.bnb4j.optim.GlobalOptimManager}; checkpoints through
 * {@link io.github.bnb4j.optim.state.OptimizerStateDict}.
 *
 * <p>Decisions where upstream's behaviour is a quirk or undefined:
 * <ul>
 * <li>Adam's weight decay is decoupled in every class, as upstream (so Adam with weight decay is AdamW).</li>
 * <li>LAMB and LARS have 8-bit kernels here (upstream's CUDA table has none).</li>
 * <li>{@code AdEMAMix32bit} / {@code PagedAdEMAMix32bit} allocate the full {@code [2, ...shape]} state the kernel
 *     reads (upstream allocates half of it).</li>
 * <li>Percentile clipping (removed upstream in 0.50) is available again as {@code percentileClipping}.</li>
 * <li>Invalid arguments throw {@link java.lang.IllegalArgumentException} where upstream raises ValueError or
 *     NotImplementedError; ignored upstream arguments (Adam's {@code amsgrad} in 32-bit, LAMB's
 *     {@code biasCorrection} and {@code adamWMode}, SGD's {@code nesterov}) are accepted with a WARN.</li>
 * <li>Checkpoints are one safetensors file in a versioned, self-describing format of their own
 *     ({@link io.github.bnb4j.optim.state.StateDictKeys}); loading one of another kind, width, shape or parameter
 *     count is refused and changes nothing. Loading restores the group configurations and the per-parameter
 *     overrides saved with it.</li>
 * </ul>
 */
package io.github.bnb4j.optim;
