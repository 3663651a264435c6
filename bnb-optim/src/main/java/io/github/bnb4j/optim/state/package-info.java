/** Optimizer checkpoints: the in-memory state dict, its safetensors file and the names used in it. */
package io.github.bnb4j.optim.state;
