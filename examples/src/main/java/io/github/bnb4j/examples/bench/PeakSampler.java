package io.github.bnb4j.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.DeviceMemory;

/**
 * Samples, every millisecond on a thread of its own, the process's resident host memory (Linux
 * {@code /proc/self/status}: {@code RssAnon}, the heap and native allocations, and {@code RssFile}, the mapped file
 * pages) and the device's used memory, keeping the peaks above the values at the start.
 */
final class PeakSampler implements AutoCloseable {
    private final Device gpu;
    private final long anon0;
    private final long file0;
    private final long device0;
    private volatile boolean running = true;
    private long anonPeak;
    private long filePeak;
    private long devicePeak;
    private final Thread thread;

    PeakSampler(Device gpu) {
        this.gpu = gpu;
        this.anon0 = status("RssAnon:");
        this.file0 = status("RssFile:");
        this.device0 = deviceUsed();
        this.thread = new Thread(this::sample, "peak-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void sample() {
        while (running) {
            anonPeak = Math.max(anonPeak, status("RssAnon:") - anon0);
            filePeak = Math.max(filePeak, status("RssFile:") - file0);
            devicePeak = Math.max(devicePeak, deviceUsed() - device0);
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Peak growth of anonymous resident host memory, bytes. */
    long hostAnonPeak() {
        return anonPeak;
    }

    /** Peak growth of file-backed resident host memory (the memory-mapped checkpoint), bytes. */
    long hostFilePeak() {
        return filePeak;
    }

    /** Peak growth of the device's used memory, bytes. */
    long devicePeak() {
        return devicePeak;
    }

    private long deviceUsed() {
        DeviceMemory m = DeviceMemory.of(gpu);
        return m.totalBytes() - m.freeBytes();
    }

    /** A {@code kB} line of /proc/self/status in bytes (0 where the file or the line is missing). */
    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Stops sampling and waits for the sampler's last sample. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
