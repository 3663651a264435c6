package io.github.bnb4j.nn;

import java.util.List;

/**
 * A change to a module prepared in full (every check passed, every new tensor allocated) but not yet visible: a
 * state-dict load or a device move stages every module of a tree first and commits only when all succeeded, so a
 * failed load or move changes nothing.
 */
interface Staged {
    /** Nothing to change. */
    Staged NOTHING = of(() -> { }, () -> { });

    /** Makes the change visible; releases what it replaces. Does not throw for checked input. */
    void commit();

    /** Releases what staging allocated; the module stays as it was. */
    void discard();

    /** A change from its two halves. */
    static Staged of(Runnable commit, Runnable discard) {
        return new Staged() {
            @Override
            public void commit() {
                commit.run();
            }

            @Override
            public void discard() {
                discard.run();
            }
        };
    }

    /** The changes in order, as one. */
    static Staged all(List<Staged> parts) {
        List<Staged> copy = List.copyOf(parts);
        return of(() -> copy.forEach(Staged::commit), () -> discardAll(copy));
    }

    /** Discards every part, even when one of them throws; the first failure is rethrown at the end. */
    static void discardAll(List<Staged> parts) {
        RuntimeException first = null;
        for (Staged s : parts) {
            try {
                s.discard();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
