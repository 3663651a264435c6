package io.github.bnb4j.nn.hf;

import java.nio.file.Path;

/**
 * A checkpoint folder that cannot be loaded as it is: a missing or malformed file, a tensor that is missing, extra,
 * mis-shaped or of the wrong dtype, or a configuration that contradicts the checkpoint. The message names the file,
 * the tensor or key, and the value found.
 */
public class CheckpointException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The file the problem was found in. */
    private final transient Path file;

    /**
     * @param file    the file the problem was found in (named in the message)
     * @param message what is wrong, with the tensor or key and the value
     */
    public CheckpointException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /**
     * @param file    the file the problem was found in (named in the message)
     * @param message what is wrong, with the tensor or key and the value
     * @param cause   the underlying failure
     */
    public CheckpointException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The file the problem was found in. */
    public Path file() {
        return file;
    }
}
