package io.github.bnb4j.nativelib.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP presets for the C API of {@code csrc/include/bnb}: the parser turns the family headers into
 * {@link io.github.bnb4j.nativelib.internal.BnbC} (internal, not API), whose JNI library links
 * {@code libbnb_cpu}. The CUDA backend is not linked: {@code libbnb_cpu} loads it as a plugin chosen at run time.
 *
 * <p>The parser reads only the headers listed here, not the ones they include, so the list names every family
 * header of {@code bnb/bnb.h} in its order (types first), then {@code bnb/bnb.h}; {@code BnbPresetsTest} checks
 * that both lists agree. A new family header goes into both.
 */
@Properties(
        target = "io.github.bnb4j.nativelib.internal.BnbC",
        value = @Platform(
                include = {"bnb/types.h", "bnb/runtime.h", "bnb/quant.h", "bnb/optim.h", "bnb/gemm.h",
                    "bnb/fourbit.h", "bnb/quantiles.h", "bnb/int8.h", "bnb/nn_ops.h", "bnb/transformer.h",
                    "bnb/bnb.h"},
                link = "bnb_cpu"))
public class BnbPresets implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        infoMap.put(new Info("BNB_API").cppTypes().annotations())
                .put(new Info("BNB_BNB_H", "BNB_TYPES_H", "BNB_RUNTIME_H", "BNB_QUANT_H", "BNB_OPTIM_H", "BNB_GEMM_H",
                        "BNB_FOURBIT_H", "BNB_QUANTILES_H", "BNB_INT8_H", "BNB_NN_OPS_H",
                        "BNB_TRANSFORMER_H").skip());
    }
}
