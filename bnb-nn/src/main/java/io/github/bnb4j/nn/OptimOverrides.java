package io.github.bnb4j.nn;

import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.optim.GlobalOptimManager;
import io.github.bnb4j.optim.ParamOverride;

/**
 * The one place where bnb-nn reaches into bnb-optim: upstream's embeddings register a 32-bit optimizer state for
 * their weight with the process-wide {@link GlobalOptimManager} ({@code register_module_override(self, "weight",
 * {"optim_bits": 32})}), so {@code new Adam8bit(model.parameters())} keeps 32-bit state for them. bnb-optim knows
 * nothing of modules; the layer registers its {@link Parameter} itself, again after a move makes a new one (the
 * manager holds parameters weakly, so the old entry goes with the old parameter).
 */
final class OptimOverrides {
    private static final ParamOverride THIRTY_TWO_BIT_STATE =
            ParamOverride.builder().optimBits(StateBits.THIRTY_TWO).build();

    private OptimOverrides() {
    }

    /** Registers 32-bit optimizer state for {@code parameter} with the process-wide manager. */
    static void thirtyTwoBitState(Parameter parameter) {
        GlobalOptimManager.getInstance().override(parameter, THIRTY_TWO_BIT_STATE);
    }
}
