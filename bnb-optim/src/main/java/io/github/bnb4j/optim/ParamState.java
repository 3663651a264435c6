package io.github.bnb4j.optim;

import java.util.ArrayList;
import java.util.List;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.optim.OptimizerKernels;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.core.functional.optim.UpdateRule;

/**
 * The optimizer state of one parameter (upstream's {@code optimizer.state[p]}). The tensors belong to the
 * optimizer: read them, do not close them; they stay valid until the optimizer closes or loads a checkpoint.
 *
 * <p>Layout for a parameter of n elements ({@code blocks = ceil(n / 256)}): 32-bit state is F32 shaped like the
 * parameter; 8-bit state is U8 codes into {@link #qmap1()} / {@link #qmap2()} scaled by one F32 absmax per block
 * of 256 elements. AdEMAMix stacks its fast and slow EMA in {@code state1} ({@code [2, ...shape]}, absmax1
 * {@code [2, blocks]}).
 */
public final class ParamState {
    private final StateBits bits;
    private final Tensor state1;
    private final Tensor state2;
    private final Tensor absmax1;
    private final Tensor absmax2;
    private final Tensor qmap1;
    private final Tensor qmap2;
    private Tensor unorm;
    private Tensor gnorm;
    private int step;

    private ParamState(StateBits bits, Tensor state1, Tensor state2, Tensor absmax1, Tensor absmax2, Tensor qmap1,
            Tensor qmap2) {
        this.bits = bits;
        this.state1 = state1;
        this.state2 = state2;
        this.absmax1 = absmax1;
        this.absmax2 = absmax2;
        this.qmap1 = qmap1;
        this.qmap2 = qmap2;
    }

    /**
     * Zeroed state for a parameter of {@code shape} on {@code device}; nothing stays allocated if it fails.
     */
    static ParamState allocate(UpdateRule rule, StateBits bits, long[] shape, Device device, StateMemory memory,
            CodeMaps maps) {
        boolean eightBit = bits == StateBits.EIGHT;
        DType stateType = eightBit ? DType.U8 : DType.F32;
        long blocks = blocks(numel(shape));
        List<Tensor> made = new ArrayList<>();
        try {
            Tensor s1 = track(made, memory.stateBuffer(stateType, device, state1Shape(rule, shape)));
            Tensor s2 = rule.states() == 2 ? track(made, memory.stateBuffer(stateType, device, shape)) : null;
            Tensor a1 = eightBit ? track(made, StateMemory.zeros(DType.F32, device, absmax1Shape(rule, blocks)))
                    : null;
            Tensor a2 = eightBit && rule.states() == 2 ? track(made, StateMemory.zeros(DType.F32, device, blocks))
                    : null;
            return new ParamState(bits, s1, s2, a1, a2, eightBit ? maps.signed(device) : null,
                    eightBit && rule.states() == 2 ? maps.unsigned(device) : null);
        } catch (RuntimeException e) {
            made.forEach(Tensor::close);
            throw e;
        }
    }

    /** Shape of state1: the parameter's, or {@code [2, ...shape]} for AdEMAMix's stacked EMAs. */
    static long[] state1Shape(UpdateRule rule, long[] shape) {
        if (rule.state1Multiplier() == 1) {
            return shape.clone();
        }
        long[] out = new long[shape.length + 1];
        out[0] = rule.state1Multiplier();
        System.arraycopy(shape, 0, out, 1, shape.length);
        return out;
    }

    /** Shape of absmax1: {@code [blocks]}, or {@code [2, blocks]} for AdEMAMix. */
    static long[] absmax1Shape(UpdateRule rule, long blocks) {
        return rule.state1Multiplier() == 1 ? new long[] {blocks} : new long[] {rule.state1Multiplier(), blocks};
    }

    /** Absmax blocks of a tensor of {@code n} elements. */
    static long blocks(long n) {
        return (n + OptimizerKernels.STATE_BLOCK - 1) / OptimizerKernels.STATE_BLOCK;
    }

    /** Updates completed so far (upstream's {@code state["step"]}). */
    public int step() {
        return step;
    }

    /** Width of this state, fixed when it was created. */
    public StateBits bits() {
        return bits;
    }

    /** First state (Adam: m; AdEMAMix: m1 and m2 stacked; momentum, RMSprop, Adagrad, Lion: their one state). */
    public Tensor state1() {
        return state1;
    }

    /** Second state (Adam, LAMB, AdEMAMix: v), or null for one-state rules. */
    public Tensor state2() {
        return state2;
    }

    /** F32 per-block scales of {@link #state1()} for 8-bit state, else null. */
    public Tensor absmax1() {
        return absmax1;
    }

    /** F32 per-block scales of {@link #state2()} for 8-bit two-state rules, else null. */
    public Tensor absmax2() {
        return absmax2;
    }

    /** The signed dynamic map of 8-bit state, else null. */
    public Tensor qmap1() {
        return qmap1;
    }

    /** The unsigned dynamic map of 8-bit two-state rules, else null. */
    public Tensor qmap2() {
        return qmap2;
    }

    /** F32 [2] update-norm scratch, present once the parameter has stepped with {@code maxUnorm > 0}. */
    public Tensor unorm() {
        return unorm;
    }

    /** F32 [100] gradient-norm history, present once the parameter has stepped with percentile clipping. */
    public Tensor gnorm() {
        return gnorm;
    }

    /** Allocates the update-norm scratch if missing; true when it did. */
    boolean ensureUnorm(Device device) {
        if (unorm != null) {
            return false;
        }
        unorm = StateMemory.zeros(DType.F32, device, 2);
        return true;
    }

    /** Allocates the gradient-norm history if missing; true when it did. */
    boolean ensureGnorm(Device device) {
        if (gnorm != null) {
            return false;
        }
        gnorm = StateMemory.zeros(DType.F32, device, OptimizerKernels.GNORM_HISTORY);
        return true;
    }

    /** Frees the update-norm scratch (undoing {@link #ensureUnorm}). */
    void dropUnorm() {
        if (unorm != null) {
            unorm.close();
            unorm = null;
        }
    }

    /** Frees the gradient-norm history (undoing {@link #ensureGnorm}). */
    void dropGnorm() {
        if (gnorm != null) {
            gnorm.close();
            gnorm = null;
        }
    }

    void setStep(int value) {
        step = value;
    }

    /** Frees the tensors this state owns (the shared code maps belong to the optimizer); idempotent. */
    void close() {
        for (Tensor t : new Tensor[] {state1, state2, absmax1, absmax2, unorm, gnorm}) {
            if (t != null) {
                t.close();
            }
        }
    }

    private static Tensor track(List<Tensor> made, Tensor t) {
        made.add(t);
        return t;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
