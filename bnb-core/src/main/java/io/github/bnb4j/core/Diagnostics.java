package io.github.bnb4j.core;

import java.io.PrintStream;
import java.util.Random;

import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.Blockwise;
import io.github.bnb4j.core.functional.BlockwiseOptions;
import io.github.bnb4j.core.functional.Quantized;
import io.github.bnb4j.core.internal.NativeRuntime;
import io.github.bnb4j.nativelib.Bnb;
import io.github.bnb4j.nativelib.LoadReport;

/**
 * What {@code python -m bitsandbytes} prints, for bnb4j: {@code java -jar bnb-core-<version>.jar}.
 * Java, OS, driver and runtime versions, GPUs, the native builds found and the one chosen, and a
 * self-test (quantize and dequantize a random tensor) on each backend.
 */
public final class Diagnostics {
    private Diagnostics() {
    }

    /** Prints the report to standard output; its last line says SUCCESS! or FAILED. */
    public static void main(String[] args) {
        print(System.out);
    }

    /**
     * Writes the report to {@code out}.
     *
     * @return true when every self-test that could run passed
     */
    public static boolean print(PrintStream out) {
        out.println(center(" bnb4j " + version() + " "));
        out.println("Java      : " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name")
                + ")");
        out.println("OS        : " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        LoadReport r = Bnb.report();
        out.println("CPU lib   : " + r.cpuLibrary().orElse("NOT LOADED"));
        out.println("Driver    : " + r.driverVersion().map(v -> "CUDA " + v).orElse("none found"));
        if (r.gpus().isEmpty()) {
            out.println("GPUs      : none");
        }
        r.gpus().forEach(g -> out.println("GPU       : " + g));
        out.println("CUDA builds shipped: " + r.shippedBuilds() + " with real code for sm " + r.cudaArchs());
        out.println("Chosen    : " + r.selection().kind() + r.selection().build().map(b -> " " + b).orElse("")
                + " (" + r.selection().reason() + ")");
        r.cudaLibrary().ifPresent(p -> out.println("CUDA lib  : " + p + " " + cudaRuntime()));
        r.failure().ifPresent(f -> out.println("Problem   : " + f));
        boolean ok = true;
        if (r.cpuLibrary().isPresent()) {
            ok &= selfTest(Device.cpu(), out);
        }
        if (r.cudaAvailable()) {
            ok &= selfTest(Device.cuda(0), out);
        }
        out.println(ok ? "SUCCESS!" : "FAILED: see the lines above.");
        return ok;
    }

    private static String cudaRuntime() {
        String info = NativeRuntime.cudaBackendInfo();
        return info.isEmpty() ? "" : "(" + info + ")";
    }

    /** Quantizes and dequantizes random values; the error must be within upstream's bound. */
    private static boolean selfTest(Device device, PrintStream out) {
        try (TensorScope scope = TensorScope.open()) {
            float[] values = new float[1 << 16];
            Random random = new Random(0);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            Tensor a = Tensor.fromFloats(values, DType.F32, device, values.length);
            Quantized q = Blockwise.quantize(a, BlockwiseOptions.defaults().withBlocksize(Blocksize.B256));
            float[] back = Blockwise.dequantize(q.codes(), q.state()).toFloatArray();
            q.close();
            double err = 0;
            for (int i = 0; i < values.length; i++) {
                err += Math.abs(values[i] - back[i]);
            }
            err /= values.length;
            boolean ok = err < 0.011;
            out.printf("Self-test : %s blockwise 8-bit round trip, mean abs error %.5f (< 0.011): %s%n", device, err,
                    ok ? "ok" : "FAILED");
            return ok;
        } catch (RuntimeException e) {
            out.println("Self-test : " + device + " FAILED: " + e);
            return false;
        }
    }

    private static String version() {
        String v = Diagnostics.class.getPackage().getImplementationVersion();
        return v != null ? v : NativeRuntime.version();
    }

    private static String center(String title) {
        int pad = Math.max(0, 60 - title.length());
        return "=".repeat(pad / 2) + title + "=".repeat(pad - pad / 2);
    }
}
