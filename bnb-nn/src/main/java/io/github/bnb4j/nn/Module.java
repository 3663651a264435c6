package io.github.bnb4j.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;

/**
 * A layer, or a tree of layers, with explicit {@link #forward} and {@link #backward} passes and no autograd engine
 * (upstream's {@code torch.nn.Module} as bitsandbytes' layers use it).
 *
 * <p><b>Passes.</b> In training mode (the default, {@link #train()}) {@code forward} keeps what {@code backward}
 * needs, by reference: the input must stay open and unchanged until {@code backward} (as autograd's saved tensors).
 * {@code backward(gradOutput)} returns a new tensor, the gradient of the loss with respect to the input, and adds
 * the gradients of the parameters that {@linkplain #requiresGrad(boolean) require one} into their
 * {@link Parameter#grad()} (created as zeros on first use), so every bnb-optim optimizer works on
 * {@link #parameters()} unchanged; zero them between steps ({@code optimizer.zeroGrad()}). One {@code backward}
 * follows each {@code forward}. In eval mode ({@link #eval()}) nothing is kept and {@code backward} throws. Both
 * passes queue their work on the device's current stream and never synchronize the host, except where a
 * functional op says it does (LLM.int8() with a threshold reads its outlier count).
 *
 * <p><b>Names.</b> A module registers its parameters and children by name; {@link #namedParameters()} and
 * {@link #stateDict()} join them with dots, in registration order (own entries first, then each child's), relative
 * to the module they are called on. Errors name a module by its dotted path from the root of its tree.
 *
 * <p><b>Ownership.</b> A module owns its parameters, its quantized weights, the gradients it created and its
 * children; {@link #close()} (idempotent) frees them all, and any later use throws {@link IllegalStateException}.
 * Module-owned tensors are detached from any {@link TensorScope}, so a scope around a training step never closes
 * them. Tensors returned by {@code forward}, {@code backward} and {@code stateDict} belong to the caller.
 *
 * <p>Not thread-safe: one thread drives a module at a time.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, ParameterSlot> slots = new LinkedHashMap<>();
    private Module parent;
    private String path = "";
    private boolean training = true;
    private boolean closed;

    /** A module with no parameters and no children yet, in training mode. */
    protected Module() {
    }

    // ---- passes --------------------------------------------------------------------------------------------------

    /**
     * Computes the module's output; in training mode keeps what {@link #backward} needs.
     *
     * @param input the module's input (each layer documents its shape and dtype); must stay open and unchanged
     *              until {@link #backward} in training mode
     * @return a new tensor the caller owns
     * @throws NullPointerException     if {@code input} is null
     * @throws IllegalArgumentException if the input's shape, dtype or device does not fit the layer (the message
     *                                  names the module)
     * @throws IllegalStateException    if the module or a tensor is closed
     */
    public final Tensor forward(Tensor input) {
        Objects.requireNonNull(input, "input");
        requireOpen();
        return forwardImpl(input);
    }

    /**
     * The gradient of the loss with respect to the last {@link #forward}'s input, given the gradient with respect to
     * its output; adds the parameters' gradients into their {@link Parameter#grad()}.
     *
     * @param gradOutput the gradient with respect to the output: the output's shape and dtype, on its device
     * @return a new tensor of the input's shape the caller owns (null where the input has no gradient: an
     *         embedding's integer indices)
     * @throws NullPointerException     if {@code gradOutput} is null
     * @throws IllegalArgumentException if {@code gradOutput} does not fit the last output
     * @throws IllegalStateException    if the module is in eval mode, no forward in training mode preceded this
     *                                  backward (or its backward already ran), or the module is closed
     */
    public final Tensor backward(Tensor gradOutput) {
        Objects.requireNonNull(gradOutput, "gradOutput");
        requireOpen();
        if (!training) {
            throw new IllegalStateException(describe() + ": backward needs training mode; this module is in eval mode"
                    + " (call train() and run forward again)");
        }
        return backwardImpl(gradOutput);
    }

    /** {@link #forward} after the common checks; {@code input} is not null and the module is open. */
    protected abstract Tensor forwardImpl(Tensor input);

    /** {@link #backward} after the common checks; the module is open and in training mode. */
    protected abstract Tensor backwardImpl(Tensor gradOutput);

    // ---- modes ---------------------------------------------------------------------------------------------------

    /**
     * Training mode for this module and all below it: forward keeps what backward needs.
     *
     * @return this module
     * @throws IllegalStateException if the module is closed
     */
    public Module train() {
        setTraining(true);
        return this;
    }

    /**
     * Eval mode for this module and all below it: forward keeps nothing (what a training forward kept is released)
     * and backward throws.
     *
     * @return this module
     * @throws IllegalStateException if the module is closed
     */
    public Module eval() {
        setTraining(false);
        return this;
    }

    /** Whether the module is in training mode. */
    public final boolean isTraining() {
        return training;
    }

    private void setTraining(boolean value) {
        requireOpen();
        for (Module m : tree()) {
            m.training = value;
            m.releaseSaved();
        }
    }

    /**
     * Whether backward computes gradients for the parameters of this module and all below it (PyTorch's
     * {@code requires_grad_}); frozen parameters are left out of {@link #parameters()} and get no gradient, while
     * the gradient still flows through to the input.
     *
     * @return this module
     * @throws IllegalStateException if the module is closed
     */
    public Module requiresGrad(boolean value) {
        requireOpen();
        for (Module m : tree()) {
            m.slots.values().forEach(s -> s.requiresGrad(value));
        }
        return this;
    }

    // ---- tree ----------------------------------------------------------------------------------------------------

    /**
     * Registers a parameter this module owns from now on (its value is detached from any open scope).
     *
     * @param name a non-empty name, unique in this module; it may contain dots (PEFT's {@code lora_A.weight}) as
     *             long as its first segment is not a child's name
     * @return the slot the layer reads the parameter through
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the name is empty or taken
     */
    protected final ParameterSlot registerParameter(String name, Parameter parameter) {
        Objects.requireNonNull(parameter, "parameter");
        requireFreeName(name);
        TensorScope.detach(parameter.value());
        ParameterSlot slot = new ParameterSlot(name, parameter);
        slots.put(name, slot);
        return slot;
    }

    /**
     * Registers a child this module owns from now on; its dotted name becomes this module's plus {@code name}.
     *
     * @param name a non-empty name without dots, unique in this module
     * @return {@code child}
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the name is empty, has a dot or is taken, or {@code child} already has a
     *                                  parent or is this module or one above it
     */
    protected final <M extends Module> M registerModule(String name, M child) {
        Module c = Objects.requireNonNull(child, "child");
        requireFreeName(name);
        if (name.contains(".")) {
            throw new IllegalArgumentException("a child's name must not contain '.', got '" + name + "'");
        }
        for (Module m = this; m != null; m = m.parent) {
            if (m == child) {
                throw new IllegalArgumentException(child.describe() + " cannot be a child of itself or of a module"
                        + " below it");
            }
        }
        if (c.parent != null) {
            throw new IllegalArgumentException(c.describe() + " already has a parent; a module belongs to one tree");
        }
        c.parent = this;
        children.put(name, c);
        c.rename(childPath(name));
        return child;
    }

    private void requireFreeName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a name must not be empty");
        }
        if (slots.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(describe() + " already has an entry named '" + name + "'");
        }
    }

    private void rename(String newPath) {
        path = newPath;
        children.forEach((name, child) -> child.rename(childPath(name)));
    }

    private String childPath(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The dotted path from the root of the tree ("" for a root). */
    public final String path() {
        return path;
    }

    /** The children in registration order (a copy). */
    public final Map<String, Module> children() {
        return new LinkedHashMap<>(children);
    }

    /** This module and every module below it, depth first, in registration order. */
    final List<Module> tree() {
        List<Module> out = new ArrayList<>();
        collectTree(this, out);
        return out;
    }

    private static void collectTree(Module m, List<Module> out) {
        out.add(m);
        m.children.values().forEach(c -> collectTree(c, out));
    }

    /** The parameter slots of this module alone, in registration order. */
    final Collection<ParameterSlot> ownSlots() {
        return slots.values();
    }

    // ---- parameters and state ------------------------------------------------------------------------------------

    /**
     * The parameters an optimizer trains: those of this module and all below it that require a gradient, in
     * registration order ({@code new Adam8bit(model.parameters())}). Frozen ones are in {@link #stateDict()} only.
     *
     * @throws IllegalStateException if the module is closed
     */
    public final List<Parameter> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /**
     * {@link #parameters()} by dotted name relative to this module ({@code "0.weight"}, {@code "1.lora_A.weight"}).
     *
     * @throws IllegalStateException if the module is closed
     */
    public final Map<String, Parameter> namedParameters() {
        requireOpen();
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectParameters(this, "", out);
        return out;
    }

    private static void collectParameters(Module m, String prefix, Map<String, Parameter> out) {
        for (ParameterSlot s : m.slots.values()) {
            if (s.requiresGrad()) {
                out.put(prefix + s.name(), s.parameter());
            }
        }
        m.children.forEach((name, c) -> collectParameters(c, prefix + name + ".", out));
    }

    /**
     * Everything the module's values depend on, under upstream's and Hugging Face's keys, relative to this module:
     * dense parameters as views of their values (valid while the module is open and unchanged), quantized weights
     * with bitsandbytes' keys ({@code weight.absmax}, {@code weight.quant_state.bitsandbytes__nf4}, {@code SCB},
     * {@code weight_format}, ...; see each layer). The caller closes the entries (closing a view frees nothing).
     *
     * @throws IllegalStateException if the module or one below it is closed
     */
    public final Map<String, Tensor> stateDict() {
        requireOpen();
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            collectState(this, "", out);
            return out;
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
    }

    private static void collectState(Module m, String prefix, Map<String, Tensor> out) {
        m.requireOpen();
        m.addOwnState(prefix, out);
        m.children.forEach((name, c) -> collectState(c, prefix + name + ".", out));
    }

    /**
     * Replaces the module's state by {@code dict}'s (keys as {@link #stateDict()} writes them; tensors on any
     * device, copied to the module's). Strict: every key of every module must be present with its dtype and shape,
     * and no other key may be; quantized layers also take a dense {@code weight}, which they quantize, and the
     * pre-quantized entries Python bitsandbytes and transformers write. Everything is checked, and every new
     * tensor allocated, before anything is replaced: a load that throws changes nothing. Dense parameters keep their
     * identity (their values are copied into), so an optimizer over {@link #parameters()} stays valid.
     *
     * @throws NullPointerException     if {@code dict} or a value is null
     * @throws IllegalArgumentException for a missing, unexpected, mis-shaped or wrongly typed key or a corrupted
     *                                  quant-state blob; the message names the module, the key and the value
     * @throws IllegalStateException    if the module or a tensor of {@code dict} is closed
     */
    public final void loadStateDict(Map<String, Tensor> dict) {
        Objects.requireNonNull(dict, "dict");
        requireOpen();
        dict.forEach((k, v) -> Objects.requireNonNull(v, () -> "dict's value for '" + k + "'"));
        List<Staged> staged = new ArrayList<>();
        try {
            stageTree(this, "", dict, staged);
        } catch (RuntimeException e) {
            Staged.discardAll(staged);
            throw e;
        }
        staged.forEach(Staged::commit);
    }

    private static void stageTree(Module m, String prefix, Map<String, Tensor> dict, List<Staged> staged) {
        m.requireOpen();
        Map<String, Tensor> own = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : dict.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                String local = e.getKey().substring(prefix.length());
                int dot = local.indexOf('.');
                if (dot < 0 || !m.children.containsKey(local.substring(0, dot))) {
                    own.put(local, e.getValue());
                }
            }
        }
        StateEntries entries = new StateEntries(m.describe(), prefix, own);
        staged.add(m.stageLoad(entries));
        entries.requireAllUsed();
        m.children.forEach((name, c) -> stageTree(c, prefix + name + ".", dict, staged));
    }

    /**
     * Saves {@link #stateDict()} as a safetensors file (metadata {@code format: pt}, as transformers writes), through
     * a temporary file and a rename.
     *
     * @throws NullPointerException  if {@code file} is null
     * @throws IOException           if the file cannot be written
     * @throws IllegalStateException if the module is closed
     */
    public final void save(Path file) throws IOException {
        ModuleFiles.save(this, file);
    }

    /**
     * Loads a safetensors file written by {@link #save} or by Python ({@code safetensors.torch.save_file} of a
     * state dict, a transformers checkpoint of the same module tree) with {@link #loadStateDict}'s checks.
     *
     * @throws NullPointerException     if {@code file} is null
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException as {@link #loadStateDict}, or if the file is not valid safetensors
     * @throws IllegalStateException    if the module is closed
     */
    public final void load(Path file) throws IOException {
        ModuleFiles.load(this, file);
    }

    /**
     * Moves the module and all below it to {@code device}: every parameter becomes a new {@link Parameter} there
     * (gradients are dropped; build optimizers after moving), quantized weights move as they are. All copies are
     * made before anything is replaced, so a move that fails changes nothing.
     *
     * @return this module
     * @throws NullPointerException  if {@code device} is null
     * @throws IllegalStateException if the module is closed
     */
    public final Module to(Device device) {
        Objects.requireNonNull(device, "device");
        requireOpen();
        List<Staged> staged = new ArrayList<>();
        try {
            for (Module m : tree()) {
                m.requireOpen();
                m.releaseSaved();
                staged.add(m.stageMove(device));
            }
        } catch (RuntimeException e) {
            Staged.discardAll(staged);
            throw e;
        }
        staged.forEach(Staged::commit);
        return this;
    }

    // ---- hooks of the layers (package): defaults handle the registered parameters --------------------------------

    /** Adds this module's own entries, keys prefixed; default: each parameter's value as a view. */
    void addOwnState(String prefix, Map<String, Tensor> out) {
        for (ParameterSlot s : slots.values()) {
            Tensor v = s.value();
            out.put(prefix + s.name(), v.reshape(v.shape()));
        }
    }

    /** Checks this module's own entries and stages their load; default: each parameter, dtype and shape equal. */
    Staged stageLoad(StateEntries entries) {
        List<Runnable> copies = new ArrayList<>();
        for (ParameterSlot s : slots.values()) {
            Tensor v = s.value();
            Tensor src = entries.require(s.name(), v.dtype(), v.shape());
            copies.add(() -> s.value().copyFrom(src));
        }
        return Staged.of(() -> copies.forEach(Runnable::run), () -> { });
    }

    /** Stages this module's move; default: a copy of each parameter on {@code device}. */
    Staged stageMove(Device device) {
        return stageSlotMoves(slots.values(), device);
    }

    /** Stages the move of some parameters: new parameters on {@code device}, swapped in at commit. */
    static Staged stageSlotMoves(Collection<ParameterSlot> which, Device device) {
        List<ParameterSlot> moving = new ArrayList<>();
        List<Parameter> made = new ArrayList<>();
        try {
            for (ParameterSlot s : which) {
                if (!s.value().device().equals(device)) {
                    moving.add(s);
                    made.add(new Parameter(s.parameter().name(), TensorScope.detach(s.value().to(device))));
                }
            }
        } catch (RuntimeException e) {
            made.forEach(Parameter::close);
            throw e;
        }
        return Staged.of(() -> {
            for (int i = 0; i < moving.size(); i++) {
                moving.get(i).replace(made.get(i));
            }
        }, () -> made.forEach(Parameter::close));
    }

    /** Drops what a training forward kept for backward (closing what the module made itself). */
    void releaseSaved() {
    }

    /** Frees what the module owns beyond its registered parameters and children. */
    void closeOwned() {
    }

    // ---- lifecycle -----------------------------------------------------------------------------------------------

    /** Frees the parameters (values and gradients), quantized weights and children; later calls do nothing. */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseSaved();
        closeOwned();
        slots.values().forEach(s -> s.parameter().close());
        children.values().forEach(Module::close);
    }

    /** Whether {@link #close()} ran. */
    public final boolean isClosed() {
        return closed;
    }

    /** @throws IllegalStateException naming the module if it is closed */
    protected final void requireOpen() {
        if (closed) {
            throw new IllegalStateException(describe() + " is closed");
        }
    }

    /**
     * What a training forward kept, which backward needs.
     *
     * @return {@code saved}
     * @throws IllegalStateException naming the module when {@code saved} is null: no forward in training mode
     *                               preceded this backward, or its backward already ran
     */
    protected final <T> T requireSaved(T saved) {
        if (saved == null) {
            throw new IllegalStateException(describe() + ": backward before forward; run forward in training mode"
                    + " first (each forward allows one backward)");
        }
        return saved;
    }

    /** The class and dotted path, for messages: {@code Linear4bit '0.fc1'} or {@code Sequential (root)}. */
    protected final String describe() {
        return getClass().getSimpleName() + (path.isEmpty() ? " (root)" : " '" + path + "'");
    }

    @Override
    public String toString() {
        return describe() + (closed ? " (closed)" : "");
    }
}
