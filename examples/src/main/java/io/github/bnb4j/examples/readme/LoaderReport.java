package io.github.bnb4j.examples.readme;

// README report
import io.github.bnb4j.nativelib.Bnb;
import io.github.bnb4j.nativelib.LoadReport;

// README end

/**
 * The code of the README's "which backend did I get" example, compiled; {@code ReadmeCodeTest} runs it and checks
 * that the README shows exactly the marked regions.
 */
public final class LoaderReport {
    private LoaderReport() {
    }

    /** The one line the README's example builds from {@link Bnb#report()}. */
    public static String describe() {
        // README report
        LoadReport r = Bnb.report();                         // what the loader found and chose; loads on first use
        String line = r.selection().kind() + " backend: " + r.selection().reason()
                + (r.cudaAvailable() ? ", GPUs " + r.gpus() : "");
        // README end
        return line;
    }
}
