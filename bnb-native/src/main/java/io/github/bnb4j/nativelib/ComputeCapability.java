package io.github.bnb4j.nativelib;

/**
 * A GPU's CUDA compute capability, e.g. 9.0 for an H100/H200; its SM architecture number is
 * {@code 10 * major + minor} (90).
 *
 * @param major major revision, at least 1
 * @param minor minor revision, 0 to 9
 */
public record ComputeCapability(int major, int minor) implements Comparable<ComputeCapability> {

    /** The oldest GPUs bnb4j's CUDA builds have kernels for (Turing; the int8 kernels need its IMMA units). */
    public static final ComputeCapability MINIMUM_SUPPORTED = new ComputeCapability(7, 5);

    /**
     * @throws IllegalArgumentException if major is below 1 or minor outside 0..9
     */
    public ComputeCapability {
        if (major < 1 || minor < 0 || minor > 9) {
            throw new IllegalArgumentException(
                    "compute capability must have major >= 1 and minor 0..9, got " + major + "." + minor);
        }
    }

    /** The SM architecture number used by nvcc and fat binaries: 75 for 7.5, 120 for 12.0. */
    public int smArch() {
        return 10 * major + minor;
    }

    /** True when this capability is at least {@code other}. */
    public boolean isAtLeast(ComputeCapability other) {
        return compareTo(other) >= 0;
    }

    /** Orders by major, then minor. */
    @Override
    public int compareTo(ComputeCapability other) {
        int byMajor = Integer.compare(major, other.major);
        return byMajor != 0 ? byMajor : Integer.compare(minor, other.minor);
    }

    /** The dotted form, e.g. {@code "7.5"}. */
    @Override
    public String toString() {
        return major + "." + minor;
    }
}
