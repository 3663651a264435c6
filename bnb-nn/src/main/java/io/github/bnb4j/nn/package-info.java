/**
 * Layers with explicit forward and backward passes and bitsandbytes' state-dict keys: {@link
 * io.github.bnb4j.nn.Module} and {@link io.github.bnb4j.nn.Sequential}; the dense {@link io.github.bnb4j.nn.Linear};
 * LLM.int8()'s {@link io.github.bnb4j.nn.Linear8bitLt} over {@link io.github.bnb4j.nn.Int8Params}; the 4-bit
 * {@link io.github.bnb4j.nn.Linear4bit}, {@link io.github.bnb4j.nn.LinearNF4} and {@link io.github.bnb4j.nn.LinearFP4}
 * over {@link io.github.bnb4j.nn.Params4bit}; and {@link io.github.bnb4j.nn.LoraLinear} adapters on any of them.
 * Optimizers are bnb-optim's: they train {@link io.github.bnb4j.nn.Module#parameters()}.
 */
package io.github.bnb4j.nn;
