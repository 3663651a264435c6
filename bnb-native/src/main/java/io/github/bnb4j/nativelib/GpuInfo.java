package io.github.bnb4j.nativelib;

/**
 * One GPU as the driver reports it.
 *
 * @param index      CUDA device ordinal
 * @param name       marketing name, e.g. "NVIDIA H200"
 * @param ccMajor    compute capability, major part
 * @param ccMinor    compute capability, minor part
 * @param totalBytes device memory in bytes
 */
public record GpuInfo(int index, String name, int ccMajor, int ccMinor, long totalBytes) {
    @Override
    public String toString() {
        return String.format("cuda:%d %s (compute capability %d.%d, %.1f GiB)", index, name, ccMajor, ccMinor,
                totalBytes / (1024.0 * 1024 * 1024));
    }
}
