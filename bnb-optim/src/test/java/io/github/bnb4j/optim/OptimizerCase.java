package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * The optimizers the numeric suites run, with the hyper-parameters of upstream's test_optim (torch Adam
 * defaults, SGD(0.01, momentum 0.9), RMSprop(0.01, alpha 0.9), Lion with lr 1e-4, LARS(0.01, momentum 0.9),
 * AdEMAMix defaults and a scheduled variant) plus the cases upstream does not cover (weight decay, Adagrad,
 * LAMB, percentile clipping). 8-bit runs use {@code minEightBitSize = 0} so that every tensor is 8-bit.
 */
enum OptimizerCase {
    ADAM(OptimizerKind.ADAM),
    ADAMW(OptimizerKind.ADAMW),
    SGD(OptimizerKind.SGD),
    SGD_WEIGHT_DECAY(OptimizerKind.SGD),
    LARS(OptimizerKind.LARS),
    LAMB(OptimizerKind.LAMB),
    RMSPROP(OptimizerKind.RMSPROP),
    ADAGRAD(OptimizerKind.ADAGRAD),
    LION(OptimizerKind.LION),
    ADEMAMIX(OptimizerKind.ADEMAMIX),
    ADEMAMIX_SCHEDULED(OptimizerKind.ADEMAMIX),
    ADAM_PERCENTILE_CLIPPING(OptimizerKind.ADAM);

    final OptimizerKind kind;

    OptimizerCase(OptimizerKind kind) {
        this.kind = kind;
    }

    /** The optimizer over one group, with {@code bits} state for every tensor. */
    Optimizer create(List<Parameter> params, StateBits bits, GlobalOptimManager manager) {
        return switch (this) {
            case ADAM -> Adam.builder().params(params).optimBits(bits).minEightBitSize(0).manager(manager).build();
            case ADAMW -> AdamW.builder().params(params).optimBits(bits).minEightBitSize(0).manager(manager).build();
            case SGD -> sgd(params, bits, manager, 0f);
            case SGD_WEIGHT_DECAY -> sgd(params, bits, manager, 0.01f);
            case LARS -> io.github.bnb4j.optim.LARS.builder().params(params).lr(0.01f).momentum(0.9f)
                    .optimBits(bits).minEightBitSize(0).manager(manager).build();
            case LAMB -> io.github.bnb4j.optim.LAMB.builder().params(params).optimBits(bits).minEightBitSize(0)
                    .manager(manager).build();
            case RMSPROP -> RMSprop.builder().params(params).lr(0.01f).alpha(0.9f).optimBits(bits)
                    .minEightBitSize(0).manager(manager).build();
            case ADAGRAD -> Adagrad.builder().params(params).lr(0.01f).optimBits(bits).minEightBitSize(0)
                    .manager(manager).build();
            case LION -> Lion.builder().params(params).lr(1e-4f).weightDecay(0.01f).optimBits(bits)
                    .minEightBitSize(0).manager(manager).build();
            case ADEMAMIX -> AdEMAMix.builder().params(params).optimBits(bits).minEightBitSize(0).manager(manager)
                    .build();
            case ADEMAMIX_SCHEDULED -> AdEMAMix.builder().params(params).tAlpha(10).tBeta3(10).optimBits(bits)
                    .minEightBitSize(0).manager(manager).build();
            case ADAM_PERCENTILE_CLIPPING -> Adam.builder().params(params).percentileClipping(5).optimBits(bits)
                    .minEightBitSize(0).manager(manager).build();
        };
    }

    private static Optimizer sgd(List<Parameter> params, StateBits bits, GlobalOptimManager manager, float wd) {
        return io.github.bnb4j.optim.SGD.builder().params(params).lr(0.01f).momentum(0.9f).weightDecay(wd)
                .optimBits(bits).minEightBitSize(0).manager(manager).build();
    }

    /** Gradient scale of step {@code step}: varied for percentile clipping, so that clipping engages. */
    double gradScale(int step) {
        if (this != ADAM_PERCENTILE_CLIPPING) {
            return 0.01;
        }
        return 0.01 * (1 + 3 * ((step * 7919) % 10) / 10.0);
    }
}
