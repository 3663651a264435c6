package io.github.bnb4j.nn;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.DropoutMask;
import io.github.bnb4j.core.functional.nn.Elementwise;

/**
 * {@code torch.nn.Dropout(p=0.5)}: in training mode each element is zeroed with probability p and the others are
 * scaled by {@code 1 / (1 - p)}; in eval mode (and for p = 0) it is the identity (a copy, since the output belongs
 * to the caller).
 * <pre>
 *   forward:   y = keep · x / (1 - p)        backward:  dx = keep · dy / (1 - p)      (the same mask)
 * </pre>
 * The masks are Philox4x32-10 words of (seed, offset) ({@link DropoutMask}: the same bits on every backend); each
 * training forward draws a fresh mask by advancing the offset past the previous one, and backward recomputes the
 * forward's mask, so nothing but the mask's three numbers is kept. A seeded layer repeats its sequence of masks.
 */
public final class Dropout extends Module {
    private final float p;
    private DropoutMask next;
    private DropoutMask saved;
    private Tensor savedInput;

    /**
     * Dropout with probability {@code p} and an unseeded mask sequence.
     *
     * @throws IllegalArgumentException unless p is in [0, 1]
     */
    public Dropout(float p) {
        this(p, Init.generator(null).nextLong());
    }

    /**
     * Dropout with probability {@code p}, its masks drawn from {@code seed}.
     *
     * @throws IllegalArgumentException unless p is in [0, 1]
     */
    public Dropout(float p, long seed) {
        this.next = new DropoutMask(p, seed, 0);
        this.p = p;
    }

    /** torch's default: p = 0.5, unseeded. */
    public Dropout() {
        this(0.5f);
    }

    /**
     * Forward; see the class comment.
     *
     * @param input F32, F16 or BF16, any shape
     * @return a new tensor of the input's dtype, shape and device
     * @throws IllegalArgumentException if the input is not F32, F16 or BF16
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        LayerChecks.requireFloat(this, "input", input);
        releaseSaved();
        Tensor out;
        if (isTraining() && p > 0) {
            out = io.github.bnb4j.core.functional.nn.Dropout.forward(input, next);
            saved = next;
            next = next.next(input.numel());
        } else {
            out = Elementwise.cast(input, input.dtype());
            saved = isTraining() ? next : null;
        }
        savedInput = isTraining() ? input : null;
        return out;
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        DropoutMask mask = requireSaved(saved);
        LayerChecks.requireLike(this, "gradOutput", gradOutput, savedInput);
        Tensor gradIn = p == 0 ? Elementwise.cast(gradOutput, gradOutput.dtype())
                : io.github.bnb4j.core.functional.nn.Dropout.backward(gradOutput, mask);
        releaseSaved();
        return gradIn;
    }

    /** The drop probability. */
    public float p() {
        return p;
    }

    /** The mask the next training forward uses. */
    public DropoutMask nextMask() {
        return next;
    }

    @Override
    void releaseSaved() {
        saved = null;
        savedInput = null;
    }
}
