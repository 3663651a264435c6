package io.github.bnb4j.nativelib.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP presets for {@code csrc/include/bnb/bnb.h}: the parser turns that header into
 * {@link io.github.bnb4j.nativelib.BnbC}, whose JNI library links {@code libbnb_cpu}. The CUDA backend is
 * not linked: {@code libbnb_cpu} loads it as a plugin chosen at run time.
 */
@Properties(
        target = "io.github.bnb4j.nativelib.BnbC",
        value = @Platform(include = {"bnb/bnb.h", "bnb/gemm.h"}, link = "bnb_cpu"))
public class BnbPresets implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        infoMap.put(new Info("BNB_API").cppTypes().annotations())
                .put(new Info("BNB_BNB_H").skip())
                .put(new Info("BNB_GEMM_H").skip());
    }
}
