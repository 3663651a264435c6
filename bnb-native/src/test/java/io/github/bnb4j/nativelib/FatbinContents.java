package io.github.bnb4j.nativelib;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The GPU code a CUDA library carries, as {@link FatbinInspector} finds it: a GPU runs the library if its
 * SM architecture is in {@code realArchs} or at least one entry of {@code ptxArchs} (which the driver
 * compiles just in time).
 *
 * @param realArchs SM architectures with machine code (cubin/SASS), e.g. 75, 90
 * @param ptxArchs  SM architectures with PTX, e.g. 120
 */
public record FatbinContents(SortedSet<Integer> realArchs, SortedSet<Integer> ptxArchs) {

    /** Copies both sets into unmodifiable sorted sets. */
    public FatbinContents {
        realArchs = Collections.unmodifiableSortedSet(new TreeSet<>(realArchs));
        ptxArchs = Collections.unmodifiableSortedSet(new TreeSet<>(ptxArchs));
    }

    /** One line for scripts and logs, e.g. {@code real=75,90 ptx=120}. */
    @Override
    public String toString() {
        return "real=" + csv(realArchs) + " ptx=" + csv(ptxArchs);
    }

    private static String csv(SortedSet<Integer> archs) {
        return archs.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
