package io.github.bnb4j.optim;

import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * Each family's defaults, as upstream's constructors declare them (bitsandbytes spec §1.4). SGD and LARS have
 * no default learning rate and refuse momentum 0, so their builders insist on both being set.
 */
final class Defaults {
    /** {@code Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)}. */
    static final OptimConfig ADAM = OptimizerBuilder.defaults(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0f);
    /** {@code AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)}. */
    static final OptimConfig ADAMW = OptimizerBuilder.defaults(1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, 0f);
    /** {@code AdEMAMix(lr=1e-3, betas=(0.9, 0.999, 0.9999), alpha=5, eps=1e-8, weight_decay=1e-2)}. */
    static final OptimConfig ADEMAMIX = new OptimConfig(1e-3f, 0.9f, 0.999f, 0.9999f, 5f, 0, 0, 1e-8f, 1e-2f,
            StateBits.THIRTY_TWO, OptimConfig.DEFAULT_MIN_EIGHT_BIT_SIZE, 0f, 100, false);
    /** {@code LAMB(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, max_unorm=1.0)}. */
    static final OptimConfig LAMB = OptimizerBuilder.defaults(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1.0f);
    /** {@code LARS(lr, momentum=0, dampening=0, weight_decay=0, max_unorm=0.02)}, eps 0. */
    static final OptimConfig LARS = OptimizerBuilder.defaults(0f, 0f, 0f, 0f, 0f, 0.02f);
    /** {@code Lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0)}, eps 0. */
    static final OptimConfig LION = OptimizerBuilder.defaults(1e-4f, 0.9f, 0.99f, 0f, 0f, 0f);
    /** {@code SGD(lr, momentum=0, dampening=0, weight_decay=0)}, eps 0. */
    static final OptimConfig SGD = OptimizerBuilder.defaults(0f, 0f, 0f, 0f, 0f, 0f);
    /** {@code RMSprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0)}: betas = (alpha, momentum). */
    static final OptimConfig RMSPROP = OptimizerBuilder.defaults(1e-2f, 0.99f, 0f, 1e-8f, 0f, 0f);
    /** {@code Adagrad(lr=1e-2, weight_decay=0, eps=1e-10)}: betas = (0, 0). */
    static final OptimConfig ADAGRAD = OptimizerBuilder.defaults(1e-2f, 0f, 0f, 1e-10f, 0f, 0f);

    private Defaults() {
    }
}
