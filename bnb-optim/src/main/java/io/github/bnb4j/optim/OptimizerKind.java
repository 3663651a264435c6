package io.github.bnb4j.optim;

import io.github.bnb4j.core.functional.optim.UpdateRule;

/**
 * The optimizer families, one per upstream module ({@code adam.py}, {@code adamw.py}, ...). The 32-bit, 8-bit
 * and paged classes of a family share its kind, so a checkpoint of {@link Adam8bit} loads into a
 * {@link PagedAdam8bit} but not into a {@link Lion8bit}.
 */
public enum OptimizerKind {
    ADAM(UpdateRule.ADAM, WeightDecayStyle.DECOUPLED),
    ADAMW(UpdateRule.ADAM, WeightDecayStyle.DECOUPLED),
    ADEMAMIX(UpdateRule.ADEMAMIX, WeightDecayStyle.DECOUPLED),
    LAMB(UpdateRule.LAMB, WeightDecayStyle.DECOUPLED),
    LARS(UpdateRule.LARS, WeightDecayStyle.COUPLED),
    LION(UpdateRule.LION, WeightDecayStyle.DECOUPLED),
    SGD(UpdateRule.MOMENTUM, WeightDecayStyle.COUPLED),
    RMSPROP(UpdateRule.RMSPROP, WeightDecayStyle.COUPLED),
    ADAGRAD(UpdateRule.ADAGRAD, WeightDecayStyle.COUPLED);

    private final UpdateRule rule;
    private final WeightDecayStyle weightDecayStyle;

    OptimizerKind(UpdateRule rule, WeightDecayStyle weightDecayStyle) {
        this.rule = rule;
        this.weightDecayStyle = weightDecayStyle;
    }

    /** The kernel update rule this family runs. */
    public UpdateRule rule() {
        return rule;
    }

    /** How the family applies weight decay. */
    public WeightDecayStyle weightDecayStyle() {
        return weightDecayStyle;
    }
}
