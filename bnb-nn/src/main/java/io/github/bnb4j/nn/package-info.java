/**
 * Quantized layers ({@code Linear8bitLt}, {@code Linear4bit}) and embeddings, with bitsandbytes'
 * state-dict keys.
 */
package io.github.bnb4j.nn;
