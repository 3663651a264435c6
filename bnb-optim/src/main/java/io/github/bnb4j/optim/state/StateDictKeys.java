package io.github.bnb4j.optim.state;

import java.util.Objects;

/**
 * The names used in an {@link OptimizerStateDict}: metadata keys (all values are strings) and tensor names.
 *
 * <p>Metadata: {@value #FORMAT} = {@value #FORMAT_NAME}, {@value #FORMAT_VERSION} = {@value #CURRENT_VERSION},
 * {@value #OPTIMIZER_CLASS} (for example {@code Adam8bit}), {@value #KIND} ({@code ADAM}, ...),
 * {@value #UPDATE_RULE}, {@value #PAGED}, {@value #STATE_BLOCK_SIZE} (256), {@value #GROUP_COUNT}; per group
 * {@code group.<g>.size} and one entry per configuration component under upstream's names
 * ({@code group.<g>.lr}, {@code .beta1}, {@code .beta2}, {@code .beta3}, {@code .alpha}, {@code .t_alpha},
 * {@code .t_beta3}, {@code .eps}, {@code .weight_decay}, {@code .optim_bits}, {@code .min_8bit_size},
 * {@code .max_unorm}, {@code .percentile_clipping}, {@code .skip_zeros}); per parameter
 * {@code param.<g>.<i>.name}, {@code .shape} (for example {@code [64, 128]}), {@code .dtype}, {@code .step}
 * (0 = no state yet), {@code .state_bits} (8 or 32, when there is state) and
 * {@code param.<g>.<i>.override.<component>} for each overridden component.
 *
 * <p>Tensors (CPU, little-endian), per parameter with state: {@code param.<g>.<i>.state1}, {@code .state2},
 * {@code .absmax1}, {@code .absmax2}, {@code .qmap1}, {@code .qmap2}, {@code .unorm}, {@code .gnorm}, each
 * present only when the state has it (see {@link io.github.bnb4j.optim.ParamState}).
 */
public final class StateDictKeys {
    /** Metadata key of the format name. */
    public static final String FORMAT = "format";
    /** The format name. */
    public static final String FORMAT_NAME = "bnb4j.optimizer-state";
    /** Metadata key of the format version. */
    public static final String FORMAT_VERSION = "format_version";
    /** The version this library writes and reads. */
    public static final int CURRENT_VERSION = 1;
    /** Metadata key: simple class name of the optimizer that saved the state. */
    public static final String OPTIMIZER_CLASS = "optimizer.class";
    /** Metadata key: {@link io.github.bnb4j.optim.OptimizerKind} name. */
    public static final String KIND = "optimizer.kind";
    /** Metadata key: kernel update rule name. */
    public static final String UPDATE_RULE = "optimizer.update_rule";
    /** Metadata key: whether the optimizer was paged. */
    public static final String PAGED = "optimizer.paged";
    /** Metadata key: elements per absmax block of 8-bit state. */
    public static final String STATE_BLOCK_SIZE = "optimizer.state_block_size";
    /** Metadata key: number of parameter groups. */
    public static final String GROUP_COUNT = "optimizer.groups";

    private StateDictKeys() {
    }

    /** {@code group.<g>.<field>}. */
    public static String group(int group, String field) {
        Objects.requireNonNull(field, "field");
        return "group." + group + "." + field;
    }

    /** {@code param.<g>.<i>.<field>}. */
    public static String param(int group, int index, String field) {
        Objects.requireNonNull(field, "field");
        return "param." + group + "." + index + "." + field;
    }
}
