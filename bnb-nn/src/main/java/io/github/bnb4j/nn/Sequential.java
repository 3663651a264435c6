package io.github.bnb4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * Modules applied in order ({@code torch.nn.Sequential}), registered as children {@code "0"}, {@code "1"}, ...:
 * <pre>
 *   forward:   h0 = x,  h(i+1) = module_i.forward(h_i),  y = h_n
 *   backward:  g_n = dy,  g_i = module_i.backward(g(i+1)),  dx = g_0
 * </pre>
 * The intermediate activations h1 .. h(n-1) and gradients belong to the sequence: in training mode it keeps the
 * activations until backward (its children saved them by reference) and closes them after it, at the next forward,
 * at {@link #eval()} or at {@link #close()}; in eval mode it closes each one as soon as the next module has used
 * it. The output and the input gradient belong to the caller.
 */
public final class Sequential extends Module {
    private final List<Module> modules = new ArrayList<>();
    private final List<Tensor> activations = new ArrayList<>();
    private boolean forwardDone;

    /**
     * A sequence of at least one module, each of which becomes a child (and must not have a parent yet).
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code modules} is empty or a module already has a parent or appears
     *                                  twice
     */
    public Sequential(Module... modules) {
        Objects.requireNonNull(modules, "modules");
        if (modules.length == 0) {
            throw new IllegalArgumentException("modules must not be empty");
        }
        for (int i = 0; i < modules.length; i++) {
            this.modules.add(registerModule(Integer.toString(i), Objects.requireNonNull(modules[i], "modules[" + i
                    + "]")));
        }
    }

    /** The module at {@code index}. @throws IndexOutOfBoundsException if out of range */
    public Module get(int index) {
        return modules.get(index);
    }

    /** The number of modules. */
    public int size() {
        return modules.size();
    }

    /**
     * Forward through every module; see the class comment.
     *
     * @throws IllegalArgumentException if a module refuses its input (the message names it)
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        releaseSaved();
        Tensor h = input;
        try {
            for (int i = 0; i < modules.size(); i++) {
                Tensor next = modules.get(i).forward(h);
                if (h != input) {
                    if (isTraining()) {
                        activations.add(h);
                    } else {
                        h.close();
                    }
                }
                h = next;
            }
        } catch (RuntimeException e) {
            if (h != input) {
                h.close();
            }
            releaseSaved();
            throw e;
        }
        forwardDone = isTraining();
        return h;
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        if (!forwardDone) {
            requireSaved(null);
        }
        Tensor g = gradOutput;
        try {
            for (int i = modules.size() - 1; i >= 0; i--) {
                Tensor next = modules.get(i).backward(g);
                if (g != gradOutput) {
                    g.close();
                }
                g = next;
            }
        } catch (RuntimeException e) {
            if (g != gradOutput) {
                g.close();
            }
            releaseSaved();
            throw e;
        }
        releaseSaved();
        return g;
    }

    @Override
    void releaseSaved() {
        activations.forEach(Tensor::close);
        activations.clear();
        forwardDone = false;
    }
}
