package io.github.bnb4j.optim;

/** Range checks shared by {@link OptimConfig} and {@link ParamOverride}; messages name argument and value. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    static float nonNegative(String name, float value) {
        if (!(value >= 0 && value <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
        }
        return value;
    }

    static float beta(String name, float value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
        return value;
    }

    static int nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
        return value;
    }

    static long nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
        return value;
    }

    static int percentile(int value) {
        if (value < 1 || value > 100) {
            throw new IllegalArgumentException("percentileClipping must be in [1, 100] (100 = off), got " + value);
        }
        return value;
    }
}
