package io.github.bnb4j.optim;

import static io.github.bnb4j.optim.state.StateDictKeys.param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.CodeBooks;
import io.github.bnb4j.core.internal.optim.OptimizerKernels;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.core.functional.optim.UpdateRule;
import io.github.bnb4j.optim.state.OptimizerStateDict;
import io.github.bnb4j.optim.state.StateDictKeys;

/**
 * Checks an {@link OptimizerStateDict} against an optimizer and builds the replacement state, without touching
 * the optimizer; {@link Pending#commit()} then swaps it in and cannot fail.
 */
final class CheckpointDecoder {
    private final Optimizer optimizer;
    private final OptimizerStateDict checkpoint;
    private final Map<String, String> meta;
    private final Set<String> unusedTensors;
    private final String self;

    private CheckpointDecoder(Optimizer optimizer, OptimizerStateDict checkpoint) {
        this.optimizer = optimizer;
        this.checkpoint = checkpoint;
        this.meta = checkpoint.metadata();
        this.unusedTensors = new HashSet<>(checkpoint.tensors().keySet());
        this.self = optimizer.getClass().getSimpleName();
    }

    /** The checked checkpoint, ready to install. */
    static final class Pending {
        private final Optimizer optimizer;
        private final List<OptimConfig> groupConfigs;
        private final Map<Parameter, ParamOverride> overrides;
        private final Map<Parameter, ParamState> states;

        private Pending(Optimizer optimizer, List<OptimConfig> groupConfigs, Map<Parameter, ParamOverride> overrides,
                Map<Parameter, ParamState> states) {
            this.optimizer = optimizer;
            this.groupConfigs = groupConfigs;
            this.overrides = overrides;
            this.states = states;
        }

        void commit() {
            for (int g = 0; g < groupConfigs.size(); g++) {
                optimizer.paramGroups().get(g).setConfig(groupConfigs.get(g));
            }
            overrides.forEach(optimizer.manager()::replace);
            optimizer.replaceStates(states);
        }
    }

    /** What one parameter's checkpoint entry holds, checked. */
    private record ParamEntry(ParamRef ref, int step, StateBits bits, ParamOverride override) {
    }

    /**
     * @throws IllegalArgumentException naming the first mismatch
     */
    static Pending decode(Optimizer optimizer, OptimizerStateDict checkpoint) {
        return new CheckpointDecoder(optimizer, checkpoint).decode();
    }

    private Pending decode() {
        checkHeader();
        List<OptimConfig> configs = checkGroups();
        List<ParamEntry> entries = new ArrayList<>();
        for (ParamRef ref : optimizer.paramRefs()) {
            entries.add(checkParam(ref));
        }
        if (!unusedTensors.isEmpty()) {
            throw new IllegalArgumentException("checkpoint has tensors this " + self + " does not use: "
                    + new TreeSet<>(unusedTensors));
        }
        Map<Parameter, ParamOverride> overrides = new IdentityHashMap<>();
        entries.forEach(e -> overrides.put(e.ref().param(), e.override()));
        return new Pending(optimizer, configs, overrides, restoreStates(entries));
    }

    private void checkHeader() {
        String format = meta.get(StateDictKeys.FORMAT);
        String version = meta.get(StateDictKeys.FORMAT_VERSION);
        if (!StateDictKeys.FORMAT_NAME.equals(format)
                || !Integer.toString(StateDictKeys.CURRENT_VERSION).equals(version)) {
            throw new IllegalArgumentException("checkpoint must be format '" + StateDictKeys.FORMAT_NAME
                    + "' version " + StateDictKeys.CURRENT_VERSION + ", got format '" + format + "' version '"
                    + version + "'");
        }
        String kind = text(StateDictKeys.KIND);
        if (!optimizer.kind().name().equals(kind) || !optimizer.kind().rule().name().equals(
                text(StateDictKeys.UPDATE_RULE))) {
            throw new IllegalArgumentException("checkpoint optimizer kind must be " + optimizer.kind() + " (this is a "
                    + self + "), got " + kind + " (saved by " + meta.get(StateDictKeys.OPTIMIZER_CLASS) + ")");
        }
        int blockSize = integer(StateDictKeys.STATE_BLOCK_SIZE);
        if (blockSize != OptimizerKernels.STATE_BLOCK) {
            throw new IllegalArgumentException("checkpoint state block size must be " + OptimizerKernels.STATE_BLOCK
                    + ", got " + blockSize);
        }
    }

    private List<OptimConfig> checkGroups() {
        List<ParamGroup> groups = optimizer.paramGroups();
        int count = integer(StateDictKeys.GROUP_COUNT);
        if (count != groups.size()) {
            throw new IllegalArgumentException("checkpoint parameter group count must be " + groups.size()
                    + " (as in this " + self + "), got " + count);
        }
        List<OptimConfig> configs = new ArrayList<>();
        for (int g = 0; g < count; g++) {
            int size = integer(StateDictKeys.group(g, "size"));
            if (size != groups.get(g).params().size()) {
                throw new IllegalArgumentException("checkpoint parameter count of group " + g + " must be "
                        + groups.get(g).params().size() + " (as in this " + self + "), got " + size);
            }
            OptimConfig saved = groupConfig(g);
            OptimConfig current = groups.get(g).config();
            if (saved.optimBits() != current.optimBits() || saved.minEightBitSize() != current.minEightBitSize()) {
                throw new IllegalArgumentException("checkpoint state width of group " + g + " must be optim_bits="
                        + current.optimBits().bits() + ", min_8bit_size=" + current.minEightBitSize()
                        + " (as in this " + self + "), got optim_bits=" + saved.optimBits().bits()
                        + ", min_8bit_size=" + saved.minEightBitSize());
            }
            configs.add(saved);
        }
        return configs;
    }

    private OptimConfig groupConfig(int g) {
        ParamOverride.Builder all = ParamOverride.builder();
        for (ConfigField field : ConfigField.values()) {
            field.set(all, text(StateDictKeys.group(g, field.key())));
        }
        return all.build().applyTo(optimizer.paramGroups().get(g).config());
    }

    private ParamEntry checkParam(ParamRef ref) {
        int g = ref.group();
        int i = ref.index();
        long[] shape = ref.param().value().shape();
        String savedShape = text(param(g, i, "shape"));
        if (!savedShape.equals(Arrays.toString(shape))) {
            throw new IllegalArgumentException("checkpoint shape of parameter (group " + g + ", index " + i
                    + ") must be " + Arrays.toString(shape) + " (as " + ref.describe() + " in this " + self
                    + "), got " + savedShape);
        }
        ParamOverride.Builder override = ParamOverride.builder();
        String prefix = param(g, i, "override.");
        meta.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                ConfigField.byKey(key.substring(prefix.length())).set(override, value);
            }
        });
        int step = integer(param(g, i, "step"));
        if (step < 0) {
            throw new IllegalArgumentException("checkpoint step of " + ref.describe() + " must be >= 0, got " + step);
        }
        StateBits bits = step == 0 ? null : StateBits.of(integer(param(g, i, "state_bits")));
        ParamEntry entry = new ParamEntry(ref, step, bits, override.build());
        if (bits != null) {
            checkTensors(entry, shape);
        }
        return entry;
    }

    private void checkTensors(ParamEntry e, long[] shape) {
        UpdateRule rule = optimizer.kind().rule();
        boolean eightBit = e.bits() == StateBits.EIGHT;
        boolean twoState = rule.states() == 2;
        long blocks = ParamState.blocks(ParamState.numel(shape));
        DType stateType = eightBit ? DType.U8 : DType.F32;
        expect(e, "state1", stateType, ParamState.state1Shape(rule, shape), true);
        expect(e, "state2", stateType, shape, twoState);
        expect(e, "absmax1", DType.F32, ParamState.absmax1Shape(rule, blocks), eightBit);
        expect(e, "absmax2", DType.F32, new long[] {blocks}, eightBit && twoState);
        expectMap(e, "qmap1", CodeBooks.dynamicSigned(), eightBit);
        expectMap(e, "qmap2", CodeBooks.dynamicUnsigned(), eightBit && twoState);
        expectOptional(e, "unorm", new long[] {2});
        expectOptional(e, "gnorm", new long[] {OptimizerKernels.GNORM_HISTORY});
    }

    private void expect(ParamEntry e, String field, DType dtype, long[] shape, boolean required) {
        String name = param(e.ref().group(), e.ref().index(), field);
        Tensor t = checkpoint.tensors().get(name);
        if (!required) {
            if (t != null) {
                throw new IllegalArgumentException("checkpoint tensor '" + name + "' must be absent for "
                        + e.bits().bits() + "-bit " + optimizer.kind() + " state");
            }
            return;
        }
        if (t == null) {
            throw new IllegalArgumentException("checkpoint must have tensor '" + name + "' for the "
                    + e.bits().bits() + "-bit state of " + e.ref().describe());
        }
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' must be " + dtype + " "
                    + Arrays.toString(shape) + " for the " + e.bits().bits() + "-bit state of " + e.ref().describe()
                    + ", got " + t.dtype() + " " + Arrays.toString(t.shape()));
        }
        unusedTensors.remove(name);
    }

    private void expectMap(ParamEntry e, String field, float[] map, boolean required) {
        expect(e, field, DType.F32, new long[] {map.length}, required);
        String name = param(e.ref().group(), e.ref().index(), field);
        if (required && !Arrays.equals(checkpoint.tensors().get(name).toFloatArray(), map)) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' must be the standard dynamic "
                    + "code book bnb4j quantizes with; it holds a different map");
        }
    }

    private void expectOptional(ParamEntry e, String field, long[] shape) {
        String name = param(e.ref().group(), e.ref().index(), field);
        expect(e, field, DType.F32, shape, checkpoint.tensors().containsKey(name));
    }

    /** New states with the checkpoint's values, on each parameter's device; all or nothing. */
    private Map<Parameter, ParamState> restoreStates(List<ParamEntry> entries) {
        Map<Parameter, ParamState> states = new IdentityHashMap<>();
        try {
            for (ParamEntry e : entries) {
                if (e.bits() != null) {
                    states.put(e.ref().param(), restore(e));
                }
            }
        } catch (RuntimeException ex) {
            states.values().forEach(ParamState::close);
            throw ex;
        }
        return states;
    }

    private ParamState restore(ParamEntry e) {
        Device device = e.ref().param().value().device();
        ParamState s = ParamState.allocate(optimizer.kind().rule(), e.bits(), e.ref().param().value().shape(),
                device, optimizer.memory(), optimizer.maps());
        try {
            fill(e, "state1", s.state1());
            fill(e, "state2", s.state2());
            fill(e, "absmax1", s.absmax1());
            fill(e, "absmax2", s.absmax2());
            if (has(e, "unorm")) {
                s.ensureUnorm(device);
                fill(e, "unorm", s.unorm());
            }
            if (has(e, "gnorm")) {
                s.ensureGnorm(device);
                fill(e, "gnorm", s.gnorm());
            }
            s.setStep(e.step());
            return s;
        } catch (RuntimeException ex) {
            s.close();
            throw ex;
        }
    }

    private boolean has(ParamEntry e, String field) {
        return checkpoint.tensors().containsKey(param(e.ref().group(), e.ref().index(), field));
    }

    private void fill(ParamEntry e, String field, Tensor target) {
        if (target != null) {
            target.copyFrom(checkpoint.tensors().get(param(e.ref().group(), e.ref().index(), field)));
        }
    }

    private String text(String key) {
        String value = meta.get(key);
        if (value == null) {
            throw new IllegalArgumentException("checkpoint metadata must have '" + key + "' (is this a "
                    + StateDictKeys.FORMAT_NAME + " file?)");
        }
        return value;
    }

    private int integer(String key) {
        String value = text(key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint metadata '" + key + "' must be an integer, got '" + value
                    + "'");
        }
    }
}
