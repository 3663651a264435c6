/**
 * Layers with explicit forward and backward passes and bitsandbytes' state-dict keys: {@link
 * io.github.bnb4j.nn.Module} and {@link io.github.bnb4j.nn.Sequential}; the dense {@link io.github.bnb4j.nn.Linear};
 * LLM.int8()'s {@link io.github.bnb4j.nn.Linear8bitLt} over {@link io.github.bnb4j.nn.Int8Params}; the 4-bit
 * {@link io.github.bnb4j.nn.Linear4bit}, {@link io.github.bnb4j.nn.LinearNF4} and {@link io.github.bnb4j.nn.LinearFP4}
 * over {@link io.github.bnb4j.nn.Params4bit}; {@link io.github.bnb4j.nn.LoraLinear} adapters on any of them; the
 * embeddings {@link io.github.bnb4j.nn.Embedding}, {@link io.github.bnb4j.nn.StableEmbedding},
 * {@link io.github.bnb4j.nn.Embedding8bit} and {@link io.github.bnb4j.nn.Embedding4bit} (NF4, FP4); and the
 * {@code torch.nn} pieces a model needs: {@link io.github.bnb4j.nn.LayerNorm}, the activations
 * ({@link io.github.bnb4j.nn.ActivationModule}), {@link io.github.bnb4j.nn.Dropout} and
 * {@link io.github.bnb4j.nn.CrossEntropyLoss}. Optimizers are bnb-optim's: they train
 * {@link io.github.bnb4j.nn.Module#parameters()}; the embeddings register upstream's 32-bit state override with its
 * {@code GlobalOptimManager}.
 */
package io.github.bnb4j.nn;
