package io.github.bnb4j.core.internal.optim;

import io.github.bnb4j.core.Tensor;

/**
 * One parameter tensor and its state, as an {@link OptimizerKernels#step} call updates them.
 *
 * @param param   F32/F16/BF16 [n], updated in place
 * @param grad    same dtype and element count as param
 * @param state1  32-bit: F32 [n] (ADEMAMIX [2n]); 8-bit: U8 [n] (ADEMAMIX [2n])
 * @param state2  two-state rules: F32 or U8 [n]; otherwise null
 * @param absmax1 8-bit: F32 [ceil(n/256)] (ADEMAMIX twice that); otherwise null
 * @param absmax2 8-bit two-state: F32 [ceil(n/256)]; otherwise null
 * @param scratch F32 [2] when {@code maxUnorm > 0}, otherwise null
 * @param gnorm   F32 [100] history when {@code percentile < 100}, otherwise null
 * @param step    this update's step number, at least 1
 */
public record OptimizerSlot(Tensor param, Tensor grad, Tensor state1, Tensor state2, Tensor absmax1,
        Tensor absmax2, Tensor scratch, Tensor gnorm, int step) {
}
