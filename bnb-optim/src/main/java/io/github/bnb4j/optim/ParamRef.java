package io.github.bnb4j.optim;

import io.github.bnb4j.core.Parameter;

/** A parameter and its (group, index) position in an optimizer, for lookups and messages. */
record ParamRef(Parameter param, int group, int index) {
    /** "parameter 'w' (group 0, index 1)". */
    String describe() {
        return "parameter '" + param.name() + "' (group " + group + ", index " + index + ")";
    }
}
