/**
 * Internal: a strict JSON reader and writer shared by the safetensors reader and writer, the 4-bit
 * {@code quant_state} serialization, and (later) {@code config.json} and checkpoint indexes. Not part of
 * the public API; it may change in any release. Nothing outside bnb4j should use it.
 */
package io.github.bnb4j.core.internal.json;
