package io.github.bnb4j.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Closes, when it closes, every tensor created on this thread while it was the innermost open scope:
 * <pre>{@code
 * try (TensorScope scope = TensorScope.open()) {
 *     Tensor t = Tensor.zeros(DType.F32, Device.cuda(0), 1024);
 *     ...
 * } // t is closed here, unless it was detached with scope.keep(t)
 * }</pre>
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<Deque<TensorScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private TensorScope() {
    }

    /** Opens a scope on this thread. */
    public static TensorScope open() {
        TensorScope scope = new TensorScope();
        STACK.get().push(scope);
        return scope;
    }

    static void register(Tensor tensor) {
        TensorScope scope = STACK.get().peek();
        if (scope != null) {
            scope.tensors.add(tensor);
        }
    }

    /**
     * Detaches {@code tensor} from this scope so that it outlives it.
     *
     * @return the tensor
     */
    public Tensor keep(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        tensors.remove(tensor);
        return tensor;
    }

    /**
     * Detaches {@code tensor} from every scope open on this thread, for tensors that live as long as a
     * process-wide cache.
     *
     * @return the tensor
     */
    public static Tensor detach(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        for (TensorScope scope : STACK.get()) {
            scope.tensors.remove(tensor);
        }
        return tensor;
    }

    /**
     * Closes the tensors of this scope, newest first.
     *
     * @throws IllegalStateException if an inner scope on this thread is still open
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        Deque<TensorScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("scopes must close innermost first");
        }
        stack.pop();
        closed = true;
        for (int i = tensors.size() - 1; i >= 0; i--) {
            tensors.get(i).close();
        }
        tensors.clear();
    }
}
