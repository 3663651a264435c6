package io.github.bnb4j.nativelib;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CUDA version as far as binary compatibility goes: major and minor (the patch level never decides
 * which build can run).
 *
 * <p>Three spellings meet here: the build suffix of a library file name ({@code libbnb_cuda130} is
 * 13.0), a dotted version typed by a user ({@code 13.0}), and the integer the driver API reports
 * ({@code 13000}).
 *
 * @param major major version, at least 1
 * @param minor minor version, at least 0
 */
public record CudaVersion(int major, int minor) implements Comparable<CudaVersion> {

    /** Build suffix: a two-digit major followed by the minor, as upstream bitsandbytes names its files. */
    private static final Pattern SUFFIX = Pattern.compile("(\\d{2})(\\d{1,3})");
    /** Dotted form; a patch part ("13.0.2", as toolkits print it) is accepted and ignored. */
    private static final Pattern DOTTED = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})(?:\\.\\d{1,6})?");

    /**
     * @throws IllegalArgumentException if major is below 1 or minor below 0
     */
    public CudaVersion {
        if (major < 1 || minor < 0) {
            throw new IllegalArgumentException(
                    "CUDA version must have major >= 1 and minor >= 0, got " + major + "." + minor);
        }
    }

    /**
     * Parses a build suffix ({@code "130"} is 13.0, {@code "118"} is 11.8, {@code "1210"} is 12.10: the
     * first two digits are the major) or a dotted version ({@code "13.0"}, {@code "13.0.2"}).
     * Surrounding white space is ignored.
     *
     * @param text the version text
     * @return the version
     * @throws IllegalArgumentException if the text is neither form
     */
    public static CudaVersion parse(String text) {
        return parse(text, "CUDA version");
    }

    /**
     * Like {@link #parse(String)}, naming the source of the text in the error message, e.g.
     * {@code "BNB_CUDA_VERSION"} or {@code "-Dbnb.cuda.version"}.
     *
     * @param text       the version text
     * @param sourceName what the text came from, for the message
     * @return the version
     * @throws IllegalArgumentException if the text is neither form
     */
    public static CudaVersion parse(String text, String sourceName) {
        if (text != null) {
            String trimmed = text.strip();
            Matcher m = SUFFIX.matcher(trimmed);
            if (!m.matches()) {
                m = DOTTED.matcher(trimmed);
            }
            if (m.matches() && Integer.parseInt(m.group(1)) >= 1) {
                return new CudaVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            }
        }
        throw new IllegalArgumentException(sourceName
                + " must be digits like 130 for CUDA 13.0 (two-digit major, then the minor) or dotted like 13.0, got "
                + (text == null ? "null" : "\"" + text + "\""));
    }

    /**
     * Decodes the driver API's integer ({@code cuDriverGetVersion}, {@code cudaDriverGetVersion}):
     * {@code 1000 * major + 10 * minor}, so 13000 is 13.0 and 12080 is 12.8.
     *
     * @param driverVersion the integer the driver reported
     * @return the version
     * @throws IllegalArgumentException if the integer is below 1000 (no driver reports that)
     */
    public static CudaVersion fromDriverInt(int driverVersion) {
        if (driverVersion < 1000) {
            throw new IllegalArgumentException("driver CUDA version must be an integer like 13000 for CUDA 13.0 "
                    + "(1000 * major + 10 * minor), got " + driverVersion);
        }
        return new CudaVersion(driverVersion / 1000, driverVersion % 1000 / 10);
    }

    /** The build suffix used in library file names: {@code "130"} for 13.0, {@code "1210"} for 12.10. */
    public String suffix() {
        // parse() reads the first two digits as the major, so a one-digit major needs its leading zero.
        return String.format("%02d%d", major, minor);
    }

    /** Orders by major, then minor. */
    @Override
    public int compareTo(CudaVersion other) {
        int byMajor = Integer.compare(major, other.major);
        return byMajor != 0 ? byMajor : Integer.compare(minor, other.minor);
    }

    /** The dotted form, e.g. {@code "13.0"}. */
    @Override
    public String toString() {
        return major + "." + minor;
    }
}
