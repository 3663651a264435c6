package io.github.bnb4j.core.reproducers;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Blockwise;
import io.github.bnb4j.core.functional.Quantized;

/**
 * Issue 13, item 2: one thread quantizes a tensor in a loop while another closes it. Before the use count this
 * crashed the JVM (SIGSEGV or heap corruption). Prints {@code OK <iterations>} and exits 0 when every
 * iteration ended with the worker seeing only {@link IllegalStateException}; exits 1 on any other outcome.
 * Run by {@code TensorLifetimeTest} in a forked JVM.
 */
public final class CloseDuringQuantize {
    private CloseDuringQuantize() {
    }

    public static void main(String[] args) throws InterruptedException {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        // 64 MiB: above glibc's largest mmap threshold (32 MiB), so free unmaps it and a use after free faults
        int n = 1 << 24;
        for (int i = 0; i < iterations; i++) {
            Tensor a = Tensor.zeros(DType.F32, Device.cpu(), n);
            AtomicReference<Throwable> unexpected = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread worker = new Thread(() -> {
                started.countDown();
                try {
                    while (true) {
                        try (Quantized q = Blockwise.quantize(a)) {
                            q.codes();
                        }
                    }
                } catch (IllegalStateException expected) {
                    // the tensor was closed: the only allowed outcome
                } catch (Throwable t) {
                    unexpected.set(t);
                }
            });
            worker.start();
            started.await();
            Thread.sleep(ThreadLocalRandom.current().nextInt(20));
            a.close();
            worker.join();
            if (unexpected.get() != null) {
                System.out.println("FAILED at iteration " + i + ": " + unexpected.get());
                unexpected.get().printStackTrace(System.out);
                System.exit(1);
            }
        }
        System.out.println("OK " + iterations);
    }
}
