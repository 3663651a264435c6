package io.github.bnb4j.optim;

/** How an optimizer applies weight decay {@code wd} to a parameter {@code p} with gradient {@code g}. */
public enum WeightDecayStyle {
    /**
     * Decoupled (AdamW, Loshchilov &amp; Hutter 2019): the parameter shrinks by {@code p *= 1 - lr·wd}, separately
     * from the gradient step. Used by Adam, AdamW, LAMB, AdEMAMix and Lion (as in bitsandbytes, plain Adam too).
     */
    DECOUPLED,
    /**
     * Coupled L2 penalty: {@code g' = g + wd·p} enters the state update. Used by SGD, LARS, RMSprop and Adagrad.
     */
    COUPLED
}
