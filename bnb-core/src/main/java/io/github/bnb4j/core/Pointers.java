package io.github.bnb4j.core;

import org.bytedeco.javacpp.Pointer;

/** Raw addresses as JavaCPP pointers, for the binding's {@code void*} parameters. */
final class Pointers {
    private Pointers() {
    }

    /** A pointer object holding {@code address}; owns nothing. */
    static Pointer at(long target) {
        // (the parameter is not named "address": inside the subclass that name is Pointer's field)
        return new Pointer() {
            {
                this.address = target;
            }
        };
    }
}
