package io.github.bnb4j.core.functional.optim;

import io.github.bnb4j.nativelib.BnbC;

/**
 * The element-wise update rules the optimizer kernels implement (upstream's {@code optimizer_name}).
 * LAMB runs the ADAM rule and LARS the MOMENTUM rule, each scaled by the update-norm cap.
 */
public enum UpdateRule {
    ADAM(BnbC.BNB_OPTIM_ADAM, 2),
    MOMENTUM(BnbC.BNB_OPTIM_MOMENTUM, 1),
    RMSPROP(BnbC.BNB_OPTIM_RMSPROP, 1),
    LARS(BnbC.BNB_OPTIM_LARS, 1),
    ADAGRAD(BnbC.BNB_OPTIM_ADAGRAD, 1),
    LION(BnbC.BNB_OPTIM_LION, 1),
    ADEMAMIX(BnbC.BNB_OPTIM_ADEMAMIX, 2),
    LAMB(BnbC.BNB_OPTIM_LAMB, 2);

    private final int code;
    private final int states;

    UpdateRule(int code, int states) {
        this.code = code;
        this.states = states;
    }

    /** The C API constant. */
    public int code() {
        return code;
    }

    /** 1 for one-state rules, 2 for ADAM, LAMB and ADEMAMIX. */
    public int states() {
        return states;
    }

    /** Elements of state1 per parameter element: 2 for ADEMAMIX (fast and slow EMA), else 1. */
    public int state1Multiplier() {
        return this == ADEMAMIX ? 2 : 1;
    }
}
