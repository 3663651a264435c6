package io.github.bnb4j.core.safetensors;

/**
 * A safetensors file whose bytes break the format: truncated, a header that is not valid JSON or not an
 * object, an entry with missing or mistyped fields, an unknown dtype, a shape that disagrees with its byte
 * range, a byte range outside the data region, or overlapping tensors. The message names the file and, where
 * one is at fault, the tensor.
 */
public class SafetensorsFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file and tensor */
    public SafetensorsFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file and tensor
     * @param cause   the lower-level error (JSON syntax, malformed UTF-8)
     */
    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
