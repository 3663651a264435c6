package io.github.bnb4j.core.internal.optim;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.core.functional.optim.UpdateRule;

/** Argument checks of one {@link OptimizerSlot}, so that a rejected step leaves everything as it was. */
final class SlotCheck {
    private SlotCheck() {
    }

    static void validate(OptimizerSlot s, int index, UpdateRule rule, StateBits bits, Device device, DType dtype,
            Hyperparameters h) {
        String at = "slot " + index + ": ";
        Tensor p = s.param();
        if (p == null || s.grad() == null || s.state1() == null) {
            throw new IllegalArgumentException(at + "param, grad and state1 are required");
        }
        if (!p.dtype().isFloatingPoint() || p.dtype() != dtype) {
            throw new IllegalArgumentException(at + "param must be " + dtype + " like slot 0, got " + p.dtype());
        }
        long n = p.numel();
        require(at + "grad", s.grad(), dtype, n, device);
        DType stateType = bits == StateBits.EIGHT ? DType.U8 : DType.F32;
        require(at + "state1", s.state1(), stateType, n * rule.state1Multiplier(), device);
        if (rule.states() == 2) {
            require(at + "state2", s.state2(), stateType, n, device);
        } else if (s.state2() != null) {
            throw new IllegalArgumentException(at + "state2 must be null for " + rule);
        }
        long blocks = (n + OptimizerKernels.STATE_BLOCK - 1) / OptimizerKernels.STATE_BLOCK;
        if (bits == StateBits.EIGHT) {
            require(at + "absmax1", s.absmax1(), DType.F32, blocks * rule.state1Multiplier(), device);
            if (rule.states() == 2) {
                require(at + "absmax2", s.absmax2(), DType.F32, blocks, device);
            }
        }
        if (h.maxUnorm() > 0) {
            require(at + "scratch", s.scratch(), DType.F32, 2, device);
        }
        if (h.percentile() < 100) {
            require(at + "gnorm", s.gnorm(), DType.F32, OptimizerKernels.GNORM_HISTORY, device);
        }
        if (s.step() < 1) {
            throw new IllegalArgumentException(at + "step must be >= 1, got " + s.step());
        }
    }

    private static void require(String name, Tensor t, DType dtype, long numel, Device device) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (t.dtype() != dtype || t.numel() != numel || !t.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be " + dtype + " with " + numel + " elements on "
                    + device + ", got " + t);
        }
    }
}
