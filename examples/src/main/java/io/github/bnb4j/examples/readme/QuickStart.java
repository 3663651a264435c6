package io.github.bnb4j.examples.readme;

// README quick-start
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.AdamW8bit;
import io.github.bnb4j.optim.Optimizer;
import io.github.bnb4j.optim.Optimizers;
import io.github.bnb4j.optim.ParamOverride;

// README end

/**
 * The code of the README's quick start, compiled; {@code ReadmeCodeTest} runs it on the CPU and checks that the
 * README shows exactly the marked regions.
 */
public final class QuickStart {
    private QuickStart() {
    }

    /** What the quick start needs from a model: its parameters, and a pass that sets their gradients. */
    public interface Model {
        /** The trainable parameters, on any device (F32, F16 or BF16). */
        List<Parameter> parameters();

        /** Forward and backward on the next batch: sets each parameter's gradient. */
        void computeGradients();
    }

    /**
     * Trains {@code model} for {@code steps} steps with {@link Adam8bit}, then writes the optimizer checkpoint.
     *
     * @throws IOException if the checkpoint cannot be written
     */
    public static void train(Model model, int steps, Path checkpoint) throws IOException {
        // README quick-start
        List<Parameter> params = model.parameters();    // values and gradients on any device (F32/F16/BF16)
        try (Optimizer opt = new Adam8bit(params)) {     // was: new Adam(params)
            for (int step = 0; step < steps; step++) {
                model.computeGradients();                // sets each Parameter's grad
                opt.step();                              // one kernel launch per parameter group on the GPU
            }
            opt.save(checkpoint);                        // versioned, self-describing checkpoint
        }                                                // close() frees the state: the GC frees no device memory
        // README end
    }

    /** The README's builder example: upstream's arguments, typed. */
    public static Optimizer adamW(List<Parameter> params) {
        // README builder
        return AdamW8bit.builder().params(params).lr(3e-4f).weightDecay(0.01f).build();
        // README end
    }

    /** The README's transformers-name example. */
    public static Optimizer byTrainerName(List<Parameter> params) {
        // README by-name
        return Optimizers.byName("paged_adamw_32bit", params, ParamOverride.builder().lr(2e-5f).build());
        // README end
    }
}
