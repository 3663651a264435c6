package io.github.bnb4j.core;

import java.util.Objects;

import io.github.bnb4j.nativelib.Bnb;

/**
 * Where a tensor's memory lives: the host ({@link #cpu()}) or one CUDA GPU ({@link #cuda(int)}).
 * Immutable value; equal devices compare equal.
 */
public record Device(Kind kind, int index) {
    /** Memory space. */
    public enum Kind {
        CPU, CUDA
    }

    private static final Device CPU = new Device(Kind.CPU, 0);

    /**
     * @throws IllegalArgumentException if {@code index} is negative, or nonzero for the CPU
     */
    public Device {
        if (kind == null) {
            throw new IllegalArgumentException("kind must be CPU or CUDA, got null");
        }
        if (index < 0 || (kind == Kind.CPU && index != 0)) {
            throw new IllegalArgumentException("index must be >= 0 (0 for the CPU), got " + index + " for " + kind);
        }
    }

    /** The host. */
    public static Device cpu() {
        return CPU;
    }

    /**
     * CUDA device {@code index}. Creating the value does not touch the GPU.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    /** {@code cuda:0} when the CUDA backend is available, else the CPU. */
    public static Device best() {
        return Bnb.isCudaAvailable() ? cuda(0) : CPU;
    }

    /** True for the host. */
    public boolean isCpu() {
        return kind == Kind.CPU;
    }

    /** True for a CUDA GPU. */
    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    /**
     * Parses "cpu" or "cuda" / "cuda:N".
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Device parse(String text) {
        Objects.requireNonNull(text, "text");
        if ("cpu".equals(text)) {
            return CPU;
        }
        if ("cuda".equals(text)) {
            return cuda(0);
        }
        if (text != null && text.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(text.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("device must be \"cpu\", \"cuda\" or \"cuda:N\", got \"" + text + "\"");
    }

    @Override
    public String toString() {
        return isCpu() ? "cpu" : "cuda:" + index;
    }
}
