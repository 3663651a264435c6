package io.github.bnb4j.core.functional.optim;

/**
 * The element-wise update rules the optimizer kernels implement (upstream's {@code optimizer_name}).
 * LAMB runs the ADAM rule and LARS the MOMENTUM rule, each scaled by the update-norm cap.
 */
public enum UpdateRule {
    ADAM(2),
    MOMENTUM(1),
    RMSPROP(1),
    LARS(1),
    ADAGRAD(1),
    LION(1),
    ADEMAMIX(2),
    LAMB(2);

    private final int states;

    UpdateRule(int states) {
        this.states = states;
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
