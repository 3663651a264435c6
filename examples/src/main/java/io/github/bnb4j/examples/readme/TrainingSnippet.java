package io.github.bnb4j.examples.readme;

// README training
import io.github.bnb4j.core.*;
import io.github.bnb4j.nn.*;
import io.github.bnb4j.optim.*;

// README end

/**
 * The README's model and training step, compiled: {@code TrainingExample} trains with them and
 * {@code ReadmeCodeTest} runs them on the CPU and checks that the README shows exactly the marked regions.
 */
public final class TrainingSnippet {
    private TrainingSnippet() {
    }

    /** The README's model: {@code in → hidden (tanh) → classes}, F32, on {@code device}. */
    public static Sequential model(int in, int hidden, int classes, Device device, long seed) {
        // README training
        Sequential model = new Sequential(                       // torch.nn.Sequential, upstream's names
                Linear.builder(in, hidden).device(device).seed(seed).build(),
                new Tanh(),
                Linear.builder(hidden, classes).device(device).seed(seed + 1).build());
        // README end
        return model;
    }

    /** The README's optimizer over the model's trainable parameters. */
    public static Optimizer optimizer(Sequential model) {
        // README training
        Optimizer opt = new Adam8bit(model.parameters());        // was: new Adam(model.parameters())
        // README end
        return opt;
    }

    /** The README's loss. */
    public static CrossEntropyLoss lossFunction() {
        // README training
        CrossEntropyLoss lossFn = new CrossEntropyLoss();        // mean over the batch, ignore_index -100
        // README end
        return lossFn;
    }

    /**
     * One step on a batch already on the model's device: forward, loss, backward, optimizer step, all queued on
     * the device with no host synchronisation.
     *
     * @return the loss, an F32 scalar on the device that the caller closes (reading it synchronizes)
     */
    public static Tensor step(Sequential model, CrossEntropyLoss lossFn, Optimizer opt, Tensor x, Tensor labels) {
        // README training
        opt.zeroGrad();
        Tensor loss;
        try (Tensor logits = model.forward(x)) {                 // [batch, classes] on the device
            loss = lossFn.forward(logits, labels);               // an F32 scalar that stays on the device
            try (Tensor dLogits = lossFn.backward(); Tensor dx = model.backward(dLogits)) {
                // backward added every Parameter's gradient on the device
            }
        }
        opt.step();                                              // updates the parameters on the device
        // README end
        return loss;
    }
}
