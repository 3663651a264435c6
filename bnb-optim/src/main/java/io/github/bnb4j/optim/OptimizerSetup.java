package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * What a builder hands an optimizer's constructor: the groups with their resolved configuration, the override
 * manager, and whether state is paged.
 */
record OptimizerSetup(List<GroupSpec> groups, GlobalOptimManager manager, boolean paged) {

    /** One parameter group and its configuration. */
    record GroupSpec(List<Parameter> params, OptimConfig config) {
    }
}
