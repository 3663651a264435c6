package io.github.bnb4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/**
 * The entries of a state dict that belong to one module (keys relative to it), as its load sees them: every check
 * throws an {@link IllegalArgumentException} naming the module, the full key and the value, and
 * {@link #requireAllUsed()} refuses keys the module does not know.
 */
final class StateEntries {
    private final String module;
    private final String prefix;
    private final Map<String, Tensor> entries;
    private final Set<String> used = new LinkedHashSet<>();

    StateEntries(String module, String prefix, Map<String, Tensor> entries) {
        this.module = module;
        this.prefix = prefix;
        this.entries = new LinkedHashMap<>(entries);
    }

    /** The full key of a local one, as the caller's dict spells it. */
    String key(String local) {
        return prefix + local;
    }

    /** The local keys present. */
    Set<String> keys() {
        return entries.keySet();
    }

    /** Whether the local key is present. */
    boolean has(String local) {
        return entries.containsKey(local);
    }

    /** The entry, or null when absent; marks it used. @throws IllegalStateException if it is closed */
    Tensor optional(String local) {
        Tensor t = entries.get(local);
        if (t != null) {
            used.add(local);
            if (t.isClosed()) {
                throw new IllegalStateException(module + ": '" + key(local) + "' is a closed tensor");
            }
        }
        return t;
    }

    /** The entry, which must be present; marks it used. */
    Tensor require(String local, String expected) {
        Tensor t = optional(local);
        if (t == null) {
            throw new IllegalArgumentException(module + ": the state dict has no '" + key(local) + "' (expected "
                    + expected + ")");
        }
        return t;
    }

    /** The entry, which must be present with this dtype and shape; marks it used. */
    Tensor require(String local, DType dtype, long... shape) {
        Tensor t = require(local, dtype + " " + Arrays.toString(shape));
        requireLike(local, t, dtype, shape);
        return t;
    }

    /** Checks an entry's dtype and shape. */
    void requireLike(String local, Tensor t, DType dtype, long... shape) {
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape)) {
            throw error(local, "must be " + dtype + " " + Arrays.toString(shape) + ", got " + t);
        }
    }

    /** An error about one entry: the module, the full key, what is wrong (with the value). */
    IllegalArgumentException error(String local, String what) {
        return new IllegalArgumentException(module + ": '" + key(local) + "' " + what);
    }

    /** An error about one entry, caused by a lower layer's check. */
    IllegalArgumentException error(String local, RuntimeException cause) {
        return new IllegalArgumentException(module + ": '" + key(local) + "' does not load: " + cause.getMessage(),
                cause);
    }

    /** @throws IllegalArgumentException naming every key the module did not use */
    void requireAllUsed() {
        Map<String, Tensor> extra = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : entries.entrySet()) {
            if (!used.contains(e.getKey())) {
                extra.put(key(e.getKey()), e.getValue());
            }
        }
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException(module + ": unexpected key(s) in the state dict: " + extra);
        }
    }
}
