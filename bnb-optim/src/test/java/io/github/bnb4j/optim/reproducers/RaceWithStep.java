package io.github.bnb4j.optim.reproducers;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.Optimizer;
import io.github.bnb4j.optim.state.OptimizerStateDict;

/**
 * Issue 13, item 2: one thread steps an optimizer in a loop while another closes the optimizer, loads a
 * checkpoint into it, or closes a parameter. Before the fix this crashed the JVM (SIGSEGV or glibc heap
 * corruption). Exits 0 when every round ended as documented (the stepping thread stops with an
 * {@link IllegalStateException} saying "closed", or steps on), 2 on any other exception.
 *
 * <p>Argument: {@code optimizer-close}, {@code load-state-dict} or {@code parameter-close}.
 */
public final class RaceWithStep {
    private static final int ROUNDS = 10;
    private static final int N = 1 << 20;

    private RaceWithStep() {
    }

    public static void main(String[] args) throws InterruptedException {
        String scenario = args[0];
        Random random = new Random(1);
        for (int round = 0; round < ROUNDS; round++) {
            List<Parameter> params = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Parameter p = new Parameter("p" + i, Tensor.zeros(DType.F32, Device.cpu(), N));
                p.setGrad(Tensor.fromFloats(gradient(random), DType.F32, Device.cpu(), N));
                params.add(p);
            }
            Optimizer opt = new Adam8bit(params);
            opt.step();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            boolean stopsOnClose = !scenario.equals("load-state-dict");
            Thread stepper = new Thread(() -> {
                try {
                    for (int s = 0; s < (stopsOnClose ? Integer.MAX_VALUE : 6); s++) {
                        opt.step();
                    }
                } catch (IllegalStateException e) {
                    if (!stopsOnClose || !e.getMessage().contains("closed")) {
                        failure.set(e);
                    }
                } catch (RuntimeException | Error e) {
                    failure.set(e);
                }
            }, "stepper");
            try (OptimizerStateDict checkpoint = opt.stateDict()) {
                stepper.start();
                Thread.sleep(random.nextInt(3));
                switch (scenario) {
                    case "optimizer-close" -> opt.close();
                    case "parameter-close" -> params.get(random.nextInt(params.size())).close();
                    case "load-state-dict" -> {
                        for (int i = 0; i < 6; i++) {
                            opt.loadStateDict(checkpoint);
                        }
                    }
                    default -> throw new IllegalArgumentException("scenario must be optimizer-close, "
                            + "load-state-dict or parameter-close, got " + scenario);
                }
                stepper.join();
            }
            opt.close();
            params.forEach(Parameter::close);
            if (failure.get() != null) {
                System.out.println("round " + round + ": unexpected " + failure.get());
                failure.get().printStackTrace(System.out);
                System.exit(2);
            }
        }
        System.out.println("all " + ROUNDS + " rounds ended as documented");
    }

    private static float[] gradient(Random random) {
        float[] g = new float[N];
        for (int i = 0; i < N; i++) {
            g[i] = (float) random.nextGaussian() * 0.01f;
        }
        return g;
    }
}
