package io.github.bnb4j.optim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
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
 * the tensor has at least {@code minEightBitSize} elements, else 32-bit; the width is fixed once allocated.
 * The configuration of a parameter is its group's, with the overrides of the {@link GlobalOptimManager} on top,
 * read at every step.
 *
 * <p><b>Step.</b> All parameters that share device, dtype, state width and scalars are updated by one kernel
 * call. Everything is validated before the first kernel runs: a step that throws an
 * {@link IllegalArgumentException} or {@link IllegalStateException} has changed no parameter and no state. Only
 * a failure inside the native library (a {@code BnbException}) can leave earlier batches of that step applied.
 *
 * <p>Not thread-safe. Parameters of any device (CPU or CUDA) with F32, F16 or BF16 values are accepted; all
 * parameters of one group must live on one device. The optimizer owns its state, never the parameters:
 * {@link #close()} frees the state only.
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
     * @throws IllegalStateException    if the optimizer, a parameter or a gradient is closed
     * @throws IllegalArgumentException if a gradient's shape, dtype or device differs from its parameter's
     * @throws io.github.bnb4j.nativelib.BnbException if a kernel fails (see the class comment)
     */
    public void step() {
        ensureOpen();
        StepPlan plan = StepPlan.of(this);
        List<Runnable> undo = prepareStates(plan);
        boolean anyApplied = false;
        try {
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

    /**
     * Evaluates {@code closure} (which recomputes the gradients), then steps.
     *
     * @return the loss the closure returned
     * @throws IllegalStateException    as {@link #step()}
     * @throws IllegalArgumentException as {@link #step()}
     */
    public float step(LossClosure closure) {
        ensureOpen();
        float loss = closure.evaluate();
        step();
        return loss;
    }

    /** Sets every gradient to zero (gradients stay allocated). */
    public void zeroGrad() {
        zeroGrad(false);
    }

    /**
     * Resets the gradients: to zero, or with {@code setToNone} removes them (closing them), so that the next
     * step skips those parameters until a new gradient is set (torch's {@code set_to_none=True}).
     */
    public void zeroGrad(boolean setToNone) {
        for (ParamRef ref : refs) {
            if (setToNone) {
                ref.param().setGrad(null);
            } else {
                ref.param().zeroGrad();
            }
        }
    }

    /**
     * The state of a parameter, or null before its first update.
     *
     * @throws IllegalArgumentException if this optimizer does not manage {@code param}
     */
    public ParamState state(Parameter param) {
        ensureOpen();
        return states.get(refOf(param).param());
    }

    /**
     * The configuration in effect for a parameter: its group's, with its overrides on top.
     *
     * @throws IllegalArgumentException if this optimizer does not manage {@code param}
     */
    public OptimConfig configFor(Parameter param) {
        return effectiveConfig(refOf(param));
    }

    /**
     * A snapshot of the state (CPU copies), self-describing and versioned; see {@link OptimizerStateDict}. The
     * caller closes it.
     *
     * @throws IllegalStateException if the optimizer is closed
     */
    public OptimizerStateDict stateDict() {
        ensureOpen();
        return CheckpointEncoder.encode(this);
    }

    /**
     * Replaces the state, group configurations and per-parameter overrides with a checkpoint's. The
     * checkpoint must come from the same optimizer kind, with the same groups, parameter counts and shapes, and
     * the same state widths; otherwise nothing changes.
     *
     * @throws IllegalArgumentException naming what does not match
     * @throws IllegalStateException    if the optimizer is closed
     */
    public void loadStateDict(OptimizerStateDict checkpoint) {
        ensureOpen();
        CheckpointDecoder.decode(this, checkpoint).commit();
    }

    /**
     * Writes {@link #stateDict()} to one safetensors file (atomically: a temporary file, then a rename).
     *
     * @throws IOException           if writing fails
     * @throws IllegalStateException if the optimizer is closed
     */
    public void save(Path file) throws IOException {
        try (OptimizerStateDict checkpoint = stateDict()) {
            checkpoint.save(file);
        }
    }

    /**
     * Loads a file written by {@link #save(Path)}; see {@link #loadStateDict}.
     *
     * @throws IOException              if reading fails
     * @throws IllegalArgumentException if the file is not a checkpoint of a matching optimizer
     * @throws IllegalStateException    if the optimizer is closed
     */
    public void load(Path file) throws IOException {
        ensureOpen();
        try (OptimizerStateDict checkpoint = OptimizerStateDict.load(file)) {
            loadStateDict(checkpoint);
        }
    }

    /** Frees all state; the parameters are untouched. Idempotent; later steps throw. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        states.values().forEach(ParamState::close);
        states.clear();
        maps.close();
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
            throw new IllegalArgumentException("param must be one of this optimizer's parameters, got "
                    + (param == null ? "null" : "'" + param.name() + "'"));
        }
        return ref;
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
