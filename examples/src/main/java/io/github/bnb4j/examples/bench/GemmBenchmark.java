package io.github.bnb4j.examples.bench;

import static org.bytedeco.cuda.global.cublas.*;

import java.util.Optional;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Gemm;
import io.github.bnb4j.nativelib.cublas.CublasLt;
import io.github.bnb4j.nativelib.cublas.GemmRoute;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The dense GEMM wrapper against cuBLAS called directly ({@code cublasGemmEx}, f32 compute) on the same stream
 * and data, one JSON line per shape: {@code {"kind":"gemm","M":..,"K":..,"N":..,"dtype":..,"ms":..,"cublas_ms":..}},
 * with {@code "route"}: the library call the wrapper's plan chose for the shape (cuBLASLt or cuBLAS).
 * The product is the {@code nn.Linear} one, {@code out[M, N] = x[M, K] · W[N, K]ᵀ}.
 */
public final class GemmBenchmark {
    private static final long[][] SHAPES = {{4096, 4096, 4096}, {4096, 4096, 14336}, {4096, 14336, 4096},
        {16384, 8192, 8192}, {1, 4096, 4096}, {32, 4096, 14336}, {1, 4096, 14336}, {2, 4096, 4096},
        {8, 4096, 4096}, {16, 4096, 4096}};

    private GemmBenchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("GemmBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        DeviceTimer timer = new DeviceTimer(gpu, 20, 5);
        cublasContext handle = new cublasContext();
        check(cublasCreate_v2(handle));
        check(cublasSetStream_v2(handle, new CUstream_st(CudaStream.current(gpu).pointer())));
        FloatPointer one = new FloatPointer(1f);
        FloatPointer zero = new FloatPointer(0f);
        for (DType dtype : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (long[] s : SHAPES) {
                long m = s[0];
                long k = s[1];
                long n = s[2];
                try (Tensor x = RandomTensors.gaussian(m * k, dtype, gpu, 1);
                     Tensor w = RandomTensors.gaussian(n * k, dtype, gpu, 2);
                     Tensor out = Tensor.empty(dtype, gpu, m, n)) {
                    MatrixOperand a = MatrixOperand.of(x.reshape(m, k));
                    MatrixOperand b = MatrixOperand.transposed(w.reshape(n, k));
                    double ms = timer.medianMs(() -> Gemm.gemmInto(a, b, 1f, 0f, out));
                    Optional<GemmRoute> route = CublasLt.lastRoute();
                    int type = cudaType(dtype);
                    double cublasMs = timer.medianMs(() -> check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N,
                            (int) n, (int) m, (int) k, one, w.pointer(), type, (int) k, x.pointer(), type, (int) k,
                            zero, out.pointer(), type, (int) n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT)));
                    System.out.println(new JsonLine().put("kind", "gemm").put("M", m).put("K", k).put("N", n)
                            .put("dtype", dtype.name().toLowerCase()).put("ms", ms).put("cublas_ms", cublasMs)
                            .put("tflops", 2.0 * m * n * k / ms / 1e9)
                            .put("route", route.map(r -> r.name().toLowerCase()).orElse("none")));
                }
            }
        }
        cublasDestroy_v2(handle);
    }

    private static int cudaType(DType t) {
        return switch (t) {
            case F32 -> cudart.CUDA_R_32F;
            case F16 -> cudart.CUDA_R_16F;
            case BF16 -> cudart.CUDA_R_16BF;
            default -> throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + t);
        };
    }

    private static void check(int status) {
        if (status != 0) {
            throw new IllegalStateException("cuBLAS status " + status);
        }
    }
}
