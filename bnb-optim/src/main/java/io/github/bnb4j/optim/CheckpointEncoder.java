package io.github.bnb4j.optim;

import static io.github.bnb4j.optim.state.StateDictKeys.param;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.internal.optim.OptimizerKernels;
import io.github.bnb4j.optim.state.OptimizerStateDict;
import io.github.bnb4j.optim.state.StateDictKeys;

/** Writes an optimizer's state into an {@link OptimizerStateDict}; the layout is described in {@link StateDictKeys}. */
final class CheckpointEncoder {
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    private CheckpointEncoder() {
    }

    static OptimizerStateDict encode(Optimizer optimizer) {
        CheckpointEncoder encoder = new CheckpointEncoder();
        try {
            encoder.header(optimizer);
            for (int g = 0; g < optimizer.paramGroups().size(); g++) {
                encoder.group(g, optimizer.paramGroups().get(g));
            }
            for (ParamRef ref : optimizer.paramRefs()) {
                encoder.parameter(optimizer, ref);
            }
        } catch (RuntimeException e) {
            encoder.tensors.values().forEach(Tensor::close);
            throw e;
        }
        return OptimizerStateDict.of(encoder.metadata, encoder.tensors);
    }

    private void header(Optimizer optimizer) {
        metadata.put(StateDictKeys.FORMAT, StateDictKeys.FORMAT_NAME);
        metadata.put(StateDictKeys.FORMAT_VERSION, Integer.toString(StateDictKeys.CURRENT_VERSION));
        metadata.put(StateDictKeys.OPTIMIZER_CLASS, optimizer.getClass().getSimpleName());
        metadata.put(StateDictKeys.KIND, optimizer.kind().name());
        metadata.put(StateDictKeys.UPDATE_RULE, optimizer.kind().rule().name());
        metadata.put(StateDictKeys.PAGED, Boolean.toString(optimizer.isPaged()));
        metadata.put(StateDictKeys.STATE_BLOCK_SIZE, Integer.toString(OptimizerKernels.STATE_BLOCK));
        metadata.put(StateDictKeys.GROUP_COUNT, Integer.toString(optimizer.paramGroups().size()));
    }

    private void group(int g, ParamGroup group) {
        metadata.put(StateDictKeys.group(g, "size"), Integer.toString(group.params().size()));
        for (ConfigField field : ConfigField.values()) {
            metadata.put(StateDictKeys.group(g, field.key()), ConfigField.format(field.get(group.config())));
        }
    }

    private void parameter(Optimizer optimizer, ParamRef ref) {
        int g = ref.group();
        int i = ref.index();
        Tensor value = ref.param().value();
        ParamState state = optimizer.stateOf(ref.param());
        metadata.put(param(g, i, "name"), String.valueOf(ref.param().name()));
        metadata.put(param(g, i, "shape"), Arrays.toString(value.shape()));
        metadata.put(param(g, i, "dtype"), value.dtype().name());
        metadata.put(param(g, i, "step"), Integer.toString(state == null ? 0 : state.step()));
        if (state != null) {
            metadata.put(param(g, i, "state_bits"), Integer.toString(state.bits().bits()));
        }
        ParamOverride override = optimizer.manager().overrideFor(ref.param(), g, i);
        override.setComponents().forEach((field, v) ->
                metadata.put(param(g, i, "override." + field.key()), ConfigField.format(v)));
        if (state != null) {
            copy(param(g, i, "state1"), state.state1());
            copy(param(g, i, "state2"), state.state2());
            copy(param(g, i, "absmax1"), state.absmax1());
            copy(param(g, i, "absmax2"), state.absmax2());
            copy(param(g, i, "qmap1"), state.qmap1());
            copy(param(g, i, "qmap2"), state.qmap2());
            copy(param(g, i, "unorm"), state.unorm());
            copy(param(g, i, "gnorm"), state.gnorm());
        }
    }

    private void copy(String name, Tensor t) {
        if (t != null) {
            tensors.put(name, TensorScope.detach(t.to(Device.cpu())));
        }
    }
}
