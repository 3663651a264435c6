package io.github.bnb4j.optim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.optim.Hyperparameters;
import io.github.bnb4j.core.internal.optim.OptimizerKernels;
import io.github.bnb4j.core.internal.optim.OptimizerSlot;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.optim.state.OptimizerStateDict;

/**
 * The machinery every optimizer of this package shares (upstream's {@code Optimizer8bit} with
 * {@code Optimizer1State} / {@code Optimizer2State}): parameter groups, lazy state, the step, checkpoints.
 * The named subclasses only fix defaults, validate their own arguments and document their rule.
 *
 * <p><b>State.</b> A parameter gets its state at the first step where it has a gradient; parameters without a
 * gradient are skipped. The state is 8-bit blockwise (blocks of 256, signed dynamic map for first moments and
 * one-state rules, unsigned for the second moment) when the configuration says {@code optimBits = EIGHT} and
 * the tensor has at least {@code minEightBitSize} elements, else 32-bit; the width is fixed once allocated. The
 * 8-bit state is that of Dettmers et al., <i>8-bit Optimizers via Block-wise Quantization</i>, ICLR 2022,
 * arXiv:2110.02861: one byte per element, a code into a dynamic quantization map, and one F32 absmax per block.
 * The configuration of a parameter is its group's, with the overrides of the {@link GlobalOptimManager} on top,
 * read at every step.
 *
 * <p><b>Paged.</b> The {@code Paged...} classes ({@link #isPaged()}) keep state buffers of at least 100,000
 * elements in CUDA managed memory, which the driver pages out to the host under GPU memory pressure, and prefetch
 * them to the GPU before each update (QLoRA, Dettmers et al. 2023, arXiv:2305.14314). On the CPU, or where the GPU
 * cannot prefetch, they fall back to ordinary memory with one WARN.
 *
 * <p><b>Step.</b> All parameters that share device, dtype, state width and scalars are updated by one kernel
 * call. Everything is validated before the first kernel runs (gradients, every state tensor and code map, the
 * step counters), and all missing state is allocated then: a step that throws an
 * {@link IllegalArgumentException} or {@link IllegalStateException} has changed no parameter, no state and no step
 * counter. Only a failure inside the native library (a {@code BnbException}) can leave earlier batches of that step
 * applied.
 *
 * <p><b>Threads.</b> The methods that read or change the state ({@link #step()}, {@link #zeroGrad()},
 * {@link #state}, {@link #configFor}, {@link #stateDict()}, {@link #loadStateDict}, {@link #close()}) are mutually
 * exclusive: {@code close()} or {@code loadStateDict()} called while another thread steps waits for the step to
 * finish, and the step never sees freed state. That makes the optimizer safe to share, not parallel: use one
 * optimizer from one training thread. The parameters and gradients belong to the caller; closing one while a
 * step uses it is safe too: a step holds a {@link TensorUse} of every tensor it touches, so their memory is freed
 * when the step ends. The tensors of a {@link ParamState} stay valid until the optimizer closes or loads a
 * checkpoint.
 *
 * <p><b>Null.</b> Every method throws {@link NullPointerException} naming the argument when given null.
 *
 * <p>Parameters of any device (CPU or CUDA) with F32, F16 or BF16 values are accepted; all parameters of one group
 * must live on one device. The optimizer owns its state, never the parameters: {@link #close()} frees the state
 * only.
 */
public abstract class Optimizer implements AutoCloseable {
    private final OptimizerKind kind;
    private final List<ParamGroup> groups;
    private final List<ParamRef> refs;
    private final Map<Parameter, ParamRef> refByParam = new IdentityHashMap<>();
    private final Map<Parameter, ParamState> states = new IdentityHashMap<>();
    private final GlobalOptimManager manager;
    private final StateMemory memory;
    private final CodeMaps maps = new CodeMaps();
    /** Guards the state: see "Threads" in the class comment. */
    private final Object lock = new Object();
    private boolean closed;

    Optimizer(OptimizerKind kind, OptimizerSetup setup) {
        this.kind = kind;
        this.manager = setup.manager();
        this.memory = new StateMemory(setup.paged(), getClass().getSimpleName());
        List<ParamGroup> built = new ArrayList<>();
        List<ParamRef> allRefs = new ArrayList<>();
        if (setup.groups().isEmpty()) {
            throw new IllegalArgumentException("params must not be empty: " + getClass().getSimpleName()
                    + " got no parameters");
        }
        for (int g = 0; g < setup.groups().size(); g++) {
            OptimizerSetup.GroupSpec spec = setup.groups().get(g);
            Device device = checkGroup(g, spec.params());
            built.add(new ParamGroup(spec.params(), device, spec.config()));
            for (int i = 0; i < spec.params().size(); i++) {
                ParamRef ref = new ParamRef(spec.params().get(i), g, i);
                if (refByParam.put(ref.param(), ref) != null) {
                    throw new IllegalArgumentException("params must appear once: " + ref.describe()
                            + " is also in an earlier position");
                }
                allRefs.add(ref);
            }
        }
        this.groups = List.copyOf(built);
        this.refs = List.copyOf(allRefs);
    }

    private static Device checkGroup(int g, List<Parameter> params) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("params of group " + g + " must not be empty");
        }
        Device device = null;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException("params of group " + g + " must not contain null, got null at "
                        + "index " + i);
            }
            if (p.value().isClosed()) {
                throw new IllegalStateException(new ParamRef(p, g, i).describe() + " is closed");
            }
            Device d = p.value().device();
            if (device == null) {
                device = d;
            } else if (!device.equals(d)) {
                throw new IllegalArgumentException("params of one group must be on one device: "
                        + new ParamRef(p, g, i).describe() + " is on " + d + ", the first of group " + g + " on "
                        + device);
            }
        }
        return device;
    }

    // ---- public API ----------------------------------------------------------------------------

    /** The family of this optimizer. */
    public OptimizerKind kind() {
        return kind;
    }

    /** The parameter groups, in order; unmodifiable. */
    public List<ParamGroup> paramGroups() {
        return groups;
    }

    /** The manager whose per-parameter overrides this optimizer applies. */
    public GlobalOptimManager manager() {
        return manager;
    }

    /** True for the paged classes, whose large state buffers live in CUDA managed memory. */
    public boolean isPaged() {
        return memory.isPaged();
    }

    /**
     * Applies one update to every parameter that has a gradient.
     *
     * @throws IllegalStateException    if the optimizer, a parameter, a gradient, a state tensor or a code map is
     *                                  closed, or a parameter's step counter is at {@link Integer#MAX_VALUE}
     * @throws IllegalArgumentException if a gradient's shape, dtype or device differs from its parameter's
     * @throws io.github.bnb4j.nativelib.BnbException if a kernel fails (see the class comment)
     */
    public void step() {
        synchronized (lock) {
            ensureOpen();
            StepPlan plan = StepPlan.of(this);
            requireStatesOpen(plan);
            List<Runnable> undo = prepareStates(plan);
            boolean anyApplied = false;
            // every tensor of the step stays allocated until the last batch returns, even if another thread
            // closes a parameter or gradient meanwhile
            try (TensorUse inUse = TensorUse.of(tensorsOf(plan))) {
                for (Map.Entry<StepPlan.BatchKey, List<StepPlan.Update>> batch : plan.batches().entrySet()) {
                    runBatch(batch.getKey(), batch.getValue());
                    anyApplied = true;
                }
            } catch (RuntimeException e) {
                if (!anyApplied) {
                    undo.forEach(Runnable::run);
                }
                throw e;
            }
            if (memory.isPaged()) {
                // managed pages may be touched by the host as soon as we return; finish the queued updates first
                plan.batches().keySet().stream().map(StepPlan.BatchKey::device).distinct().filter(Device::isCuda)
                        .forEach(d -> CudaStream.current(d).synchronize());
            }
        }
    }

    /**
     * Evaluates {@code closure} (which recomputes the gradients), then steps.
     *
     * @return the loss the closure returned
     * @throws NullPointerException     if {@code closure} is null
     * @throws IllegalStateException    as {@link #step()}
     * @throws IllegalArgumentException as {@link #step()}
     */
    public float step(LossClosure closure) {
        Objects.requireNonNull(closure, "closure");
        synchronized (lock) {
            ensureOpen();
            float loss = closure.evaluate();
            step();
            return loss;
        }
    }

    /**
     * Sets every gradient to zero (gradients stay allocated).
     *
     * @throws IllegalStateException if the optimizer or a gradient is closed
     */
    public void zeroGrad() {
        zeroGrad(false);
    }

    /**
     * Resets the gradients: to zero, or with {@code setToNone} removes them (closing them), so that the next
     * step skips those parameters until a new gradient is set (torch's {@code set_to_none=True}).
     *
     * @throws IllegalStateException if the optimizer is closed, or (without {@code setToNone}) a gradient is
     */
    public void zeroGrad(boolean setToNone) {
        synchronized (lock) {
            ensureOpen();
            for (ParamRef ref : refs) {
                if (setToNone) {
                    ref.param().setGrad(null);
                } else {
                    ref.param().zeroGrad();
                }
            }
        }
    }

    /**
     * The state of a parameter, or null before its first update.
     *
     * @throws NullPointerException     if {@code param} is null
     * @throws IllegalArgumentException if this optimizer does not manage {@code param}
     * @throws IllegalStateException    if the optimizer is closed
     */
    public ParamState state(Parameter param) {
        Objects.requireNonNull(param, "param");
        synchronized (lock) {
            ensureOpen();
            return states.get(refOf(param).param());
        }
    }

    /**
     * The configuration in effect for a parameter: its group's, with its overrides on top.
     *
     * @throws NullPointerException     if {@code param} is null
     * @throws IllegalArgumentException if this optimizer does not manage {@code param}
     * @throws IllegalStateException    if the optimizer is closed
     */
    public OptimConfig configFor(Parameter param) {
        Objects.requireNonNull(param, "param");
        synchronized (lock) {
            ensureOpen();
            return effectiveConfig(refOf(param));
        }
    }

    /**
     * A snapshot of the state (CPU copies), self-describing and versioned; see {@link OptimizerStateDict}. The
     * caller closes it.
     *
     * @throws IllegalStateException if the optimizer is closed
     */
    public OptimizerStateDict stateDict() {
        synchronized (lock) {
            ensureOpen();
            return CheckpointEncoder.encode(this);
        }
    }

    /**
     * Replaces the state, group configurations and per-parameter overrides with a checkpoint's. The
     * checkpoint must come from the same optimizer kind, with the same groups, parameter counts and shapes, and
     * the same state widths; otherwise nothing changes.
     *
     * <p>Values are range-checked: step counters in [0, 2<sup>31</sup> − 2] (so that one more step
     * fits the counter), absmax and the gradient-norm history finite and non-negative, 32-bit state finite,
     * and the second moments and accumulators (Adam's, LAMB's and AdEMAMix's {@code state2}, RMSprop's and
     * Adagrad's {@code state1}) non-negative.
     *
     * @throws NullPointerException     if {@code checkpoint} is null
     * @throws IllegalArgumentException naming what does not match or is out of range
     * @throws IllegalStateException    if the optimizer or the checkpoint is closed
     */
    public void loadStateDict(OptimizerStateDict checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        synchronized (lock) {
            ensureOpen();
            CheckpointDecoder.decode(this, checkpoint).commit();
        }
    }

    /**
     * Writes {@link #stateDict()} to one safetensors file (atomically: a temporary file, then a rename).
     *
     * @throws NullPointerException     if {@code file} is null
     * @throws IOException              if writing fails
     * @throws IllegalStateException    if the optimizer is closed
     * @throws IllegalArgumentException if a state tensor is too large for the checkpoint format's reader and
     *                                  writer (see {@link OptimizerStateDict#save(Path)})
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (OptimizerStateDict checkpoint = stateDict()) {
            checkpoint.save(file);
        }
    }

    /**
     * Loads a file written by {@link #save(Path)}; see {@link #loadStateDict}.
     *
     * @throws NullPointerException     if {@code file} is null
     * @throws IOException              if reading fails
     * @throws IllegalArgumentException if the file is not a checkpoint of a matching optimizer
     * @throws IllegalStateException    if the optimizer is closed
     */
    public void load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        ensureOpen();
        try (OptimizerStateDict checkpoint = OptimizerStateDict.load(file)) {
            loadStateDict(checkpoint);
        }
    }

    /**
     * Frees all state; the parameters are untouched. Idempotent; every later call but {@link #kind()},
     * {@link #paramGroups()}, {@link #manager()} and {@link #isPaged()} throws {@link IllegalStateException}. Waits
     * for a step running on another thread to finish.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            states.values().forEach(ParamState::close);
            states.clear();
            maps.close();
        }
    }

    // ---- for subclasses and the checkpoint code --------------------------------------------------

    /** The kernel scalars for one parameter's update number {@code step}, with AdEMAMix's schedules. */
    Hyperparameters kernelHyperparameters(OptimConfig c, int step) {
        float alpha = c.alpha();
        float beta3 = c.beta3();
        if (kind == OptimizerKind.ADEMAMIX) {
            alpha = AdEMAMixSchedule.alpha(c.alpha(), c.tAlpha(), step);
            beta3 = AdEMAMixSchedule.beta3(c.beta1(), c.beta3(), c.tBeta3(), step);
        }
        return new Hyperparameters(c.lr(), c.beta1(), c.beta2(), beta3, alpha, c.eps(), c.weightDecay(),
                c.maxUnorm(), c.percentileClipping(), c.skipZeros());
    }

    List<ParamRef> paramRefs() {
        return refs;
    }

    ParamState stateOf(Parameter param) {
        return states.get(param);
    }

    OptimConfig effectiveConfig(ParamRef ref) {
        ParamOverride override = manager.overrideFor(ref.param(), ref.group(), ref.index());
        return override.applyTo(groups.get(ref.group()).config());
    }

    StateMemory memory() {
        return memory;
    }

    CodeMaps maps() {
        return maps;
    }

    /** Installs checkpointed states (null = none) for every parameter, closing the states they replace. */
    void replaceStates(Map<Parameter, ParamState> replacement) {
        for (ParamRef ref : refs) {
            ParamState old = states.remove(ref.param());
            ParamState now = replacement.get(ref.param());
            if (now != null) {
                states.put(ref.param(), now);
            }
            if (old != null && old != now) {
                old.close();
            }
        }
    }

    // ---- internals -----------------------------------------------------------------------------

    private ParamRef refOf(Parameter param) {
        ParamRef ref = refByParam.get(param);
        if (ref == null) {
            throw new IllegalArgumentException("param must be one of this optimizer's parameters, got '"
                    + param.name() + "'");
        }
        return ref;
    }

    /**
     * Checks the state the kernels of this step will use, so that a closed state tensor or code map fails the
     * step before its first batch rather than in a later one; also creates the code maps of new 8-bit state.
     */
    private void requireStatesOpen(StepPlan plan) {
        for (Map.Entry<StepPlan.BatchKey, List<StepPlan.Update>> batch : plan.batches().entrySet()) {
            StepPlan.BatchKey key = batch.getKey();
            if (key.bits() == StateBits.EIGHT) {
                maps.requireOpen(key.device(), kind.rule().states() == 2);
            }
            for (StepPlan.Update u : batch.getValue()) {
                ParamState s = states.get(u.ref().param());
                if (s != null) {
                    s.requireOpen(u.ref());
                }
            }
        }
    }

    /** Allocates missing state; returns how to undo it, and undoes it all itself if an allocation fails. */
    private List<Runnable> prepareStates(StepPlan plan) {
        List<Runnable> undo = new ArrayList<>();
        try {
            for (StepPlan.Update u : plan.updates()) {
                Parameter p = u.ref().param();
                Device device = p.value().device();
                ParamState state = states.get(p);
                if (state == null) {
                    ParamState created = ParamState.allocate(kind.rule(), u.bits(), p.value().shape(), device,
                            memory, maps);
                    states.put(p, created);
                    undo.add(() -> {
                        states.remove(p);
                        created.close();
                    });
                    state = created;
                }
                ParamState s = state;
                if (u.config().maxUnorm() > 0 && s.ensureUnorm(device)) {
                    undo.add(s::dropUnorm);
                }
                if (u.config().percentileClipping() < 100 && s.ensureGnorm(device)) {
                    undo.add(s::dropGnorm);
                }
            }
        } catch (RuntimeException e) {
            undo.forEach(Runnable::run);
            throw e;
        }
        return undo;
    }

    /** The tensors the kernels of this step read or write: values, gradients, states and code maps. */
    private Tensor[] tensorsOf(StepPlan plan) {
        List<Tensor> all = new ArrayList<>();
        for (StepPlan.Update u : plan.updates()) {
            ParamState s = states.get(u.ref().param());
            all.addAll(Arrays.asList(u.ref().param().value(), u.grad(), s.state1(), s.state2(), s.absmax1(),
                    s.absmax2(), s.qmap1(), s.qmap2(), s.unorm(), s.gnorm()));
        }
        return all.toArray(Tensor[]::new); // TensorUse.of skips the nulls
    }

    private void runBatch(StepPlan.BatchKey key, List<StepPlan.Update> updates) {
        List<OptimizerSlot> slots = new ArrayList<>(updates.size());
        for (StepPlan.Update u : updates) {
            ParamState s = states.get(u.ref().param());
            memory.prefetch(s.state1(), key.device());
            memory.prefetch(s.state2(), key.device());
            slots.add(new OptimizerSlot(u.ref().param().value(), u.grad(), s.state1(), s.state2(), s.absmax1(),
                    s.absmax2(), u.config().maxUnorm() > 0 ? s.unorm() : null,
                    u.config().percentileClipping() < 100 ? s.gnorm() : null, u.step()));
        }
        boolean eightBit = key.bits() == StateBits.EIGHT;
        boolean twoState = kind.rule().states() == 2;
        OptimizerKernels.step(kind.rule(), key.bits(), slots, eightBit ? maps.signed(key.device()) : null,
                eightBit && twoState ? maps.unsigned(key.device()) : null, key.hyper());
        for (StepPlan.Update u : updates) {
            states.get(u.ref().param()).setStep(u.step());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
    }
}
