package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.transformer.RmsNorm;
import io.github.bnb4j.nn.ParameterSlot;

/**
 * transformers' {@code LlamaRMSNorm}: {@code out = weight · dtype(x / sqrt(mean(x²) + eps))} over the last
 * dimension ({@link RmsNorm}, f32 arithmetic), with its weight [n] in the model's dtype. State dict: {@code weight}.
 */
public final class LlamaRmsNorm extends InferenceModule {
    private final ParameterSlot weight;
    private final float eps;

    /**
     * A norm of width n, weight initialised to zeros (it is loaded next).
     *
     * @throws IllegalArgumentException if n &lt; 1 or dtype is not F32, F16 or BF16
     */
    LlamaRmsNorm(long n, double eps, DType dtype, Device device) {
        this.eps = (float) eps;
        this.weight = registerParameter("weight", new Parameter("weight", Tensor.zeros(dtype, device, n)));
    }

    /**
     * The normalised input.
     *
     * @param input [..., n] of the weight's dtype, on its device
     * @return a new tensor of the input's shape
     * @throws IllegalArgumentException if the input does not fit the weight
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        return RmsNorm.forward(input, weight.value(), eps);
    }

    /** The weight [n]. */
    public ParameterSlot weight() {
        return weight;
    }
}
