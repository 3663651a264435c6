package io.github.bnb4j.core.internal.optim;

import java.util.List;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.core.functional.optim.UpdateRule;
import io.github.bnb4j.core.internal.NativeRuntime;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.BnbC.bnb_optim_hparams;
import io.github.bnb4j.nativelib.internal.BnbC.bnb_optim_tensors;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The optimizer family of the C API ({@code bnb/optim.h}): the optimizer update kernels (upstream
 * {@code optimizer_update_32bit} and {@code optimizer_update_8bit_blockwise}), applied to many tensors in one call:
 * one kernel launch on CUDA however many tensors, so a whole model steps with a handful of launches and no host
 * synchronisation. Internal (bnb-optim's optimizers are the API): see the package documentation of
 * {@code io.github.bnb4j.core.internal}.
 *
 * <p>The update rules, state layouts and quantization (blocks of 256, signed map for first moments,
 * unsigned for the second, the sign fix) are those of the bitsandbytes spec §3.14–§3.18; see
 * {@link UpdateRule}. Validation is complete before the native call, so a rejected call changes nothing.
 */
public final class OptimizerKernels {
    /** Elements per absmax block of 8-bit state. */
    public static final int STATE_BLOCK = BnbC.BNB_OPTIM_STATE_BLOCK;
    /** Gradient norms kept per tensor for percentile clipping. */
    public static final int GNORM_HISTORY = BnbC.BNB_OPTIM_GNORM_HISTORY;

    private OptimizerKernels() {
    }

    /**
     * Applies one step of {@code rule} to every slot.
     *
     * @param qmap1 F32 [256] signed dynamic map, on the slots' device (8-bit state only, else null)
     * @param qmap2 F32 [256] unsigned dynamic map (8-bit two-state rules only, else null)
     * @throws IllegalArgumentException if slots are empty, on different devices, of different parameter
     *                                  dtypes, or a tensor's dtype or size does not fit its role
     * @throws IllegalStateException    if a tensor is closed
     * @throws io.github.bnb4j.nativelib.BnbException if the native step fails ({@link OutOfDeviceMemoryException}
     *                                  when its temporary device memory cannot be allocated)
     */
    public static void step(UpdateRule rule, StateBits bits, List<OptimizerSlot> slots, Tensor qmap1, Tensor qmap2,
            Hyperparameters h) {
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("slots must not be empty");
        }
        Device device = slots.get(0).param().device();
        DType dtype = slots.get(0).param().dtype();
        int count = slots.size();
        long[] p = new long[count];
        long[] g = new long[count];
        long[] s1 = new long[count];
        long[] s2 = new long[count];
        long[] a1 = new long[count];
        long[] a2 = new long[count];
        long[] scratch = new long[count];
        long[] gnorm = new long[count];
        long[] numel = new long[count];
        int[] step = new int[count];
        for (int i = 0; i < count; i++) {
            OptimizerSlot s = slots.get(i);
            SlotCheck.validate(s, i, rule, bits, device, dtype, h);
            p[i] = s.param().address();
            g[i] = s.grad().address();
            s1[i] = s.state1().address();
            s2[i] = address(s.state2());
            a1[i] = address(s.absmax1());
            a2[i] = address(s.absmax2());
            scratch[i] = address(s.scratch());
            gnorm[i] = address(s.gnorm());
            numel[i] = s.param().numel();
            step[i] = s.step();
        }
        FloatPointer q1 = bits == StateBits.EIGHT ? codeBook(qmap1, "qmap1", device) : null;
        FloatPointer q2 = bits == StateBits.EIGHT && rule.states() == 2 ? codeBook(qmap2, "qmap2", device) : null;
        int status;
        // The structs and arrays are native memory, freed when the call has returned.
        try (LongPointer pp = new LongPointer(p); LongPointer gp = new LongPointer(g);
                LongPointer s1p = new LongPointer(s1); LongPointer s2p = new LongPointer(s2);
                LongPointer a1p = new LongPointer(a1); LongPointer a2p = new LongPointer(a2);
                LongPointer sp = new LongPointer(scratch); LongPointer gn = new LongPointer(gnorm);
                LongPointer np = new LongPointer(numel); IntPointer st = new IntPointer(step);
                bnb_optim_tensors tensors = new bnb_optim_tensors(); bnb_optim_hparams hp = new bnb_optim_hparams()) {
            tensors.count(count).p(pp).g(gp).state1(s1p).state2(s2p).absmax1(a1p).absmax2(a2p).scratch(sp).gnorm(gn)
                    .numel(np).step(st);
            hp.lr(h.lr()).beta1(h.beta1()).beta2(h.beta2()).beta3(h.beta3()).alpha(h.alpha()).eps(h.eps())
                    .weight_decay(h.weightDecay()).max_unorm(h.maxUnorm()).percentile(h.percentile())
                    .skip_zeros(h.skipZeros() ? 1 : 0);
            status = device.isCpu()
                    ? BnbC.bnb_cpu_optimizer_step(code(rule), dtype.code(), bits.bits(), tensors, q1, q2, hp)
                    : BnbC.bnb_cuda_optimizer_step(code(rule), dtype.code(), bits.bits(), tensors, q1, q2, hp,
                            CudaStream.current(device).pointer());
        }
        NativeStatus.check(status, rule + " " + bits.bits() + "-bit step on " + device,
                OutOfDeviceMemoryException.UNKNOWN,
                () -> device.isCuda() ? NativeRuntime.freeBytes(device) : OutOfDeviceMemoryException.UNKNOWN);
    }

    /** The C API's optimizer kind ({@code BNB_OPTIM_*}) of a rule. */
    static int code(UpdateRule rule) {
        return switch (rule) {
            case ADAM -> BnbC.BNB_OPTIM_ADAM;
            case MOMENTUM -> BnbC.BNB_OPTIM_MOMENTUM;
            case RMSPROP -> BnbC.BNB_OPTIM_RMSPROP;
            case LARS -> BnbC.BNB_OPTIM_LARS;
            case ADAGRAD -> BnbC.BNB_OPTIM_ADAGRAD;
            case LION -> BnbC.BNB_OPTIM_LION;
            case ADEMAMIX -> BnbC.BNB_OPTIM_ADEMAMIX;
            case LAMB -> BnbC.BNB_OPTIM_LAMB;
        };
    }

    private static long address(Tensor t) {
        return t == null ? 0L : t.address();
    }

    private static FloatPointer codeBook(Tensor map, String name, Device device) {
        if (map == null || map.dtype() != DType.F32 || map.numel() != 256 || !map.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be an F32 [256] code book on " + device + ", got " + map);
        }
        return new FloatPointer(map.pointer());
    }
}
