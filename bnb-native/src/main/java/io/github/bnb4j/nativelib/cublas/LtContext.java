package io.github.bnb4j.nativelib.cublas;

import static org.bytedeco.cuda.global.cublas.*;

import java.util.HashMap;
import java.util.Map;

import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One thread's cuBLASLt handle, workspace and plans on one device, and its cuBLAS handle once a plan offers
 * {@link GemmRoute#CUBLAS}. Not thread-safe: see {@link CublasLt}.
 */
final class LtContext implements AutoCloseable {
    /** cuBLAS's own recommendation for Hopper; the heuristic picks algorithms that fit. */
    private static final long WORKSPACE_BYTES = 32L << 20;
    /** Timed runs per candidate algorithm when a plan chooses one. */
    private static final int TIMED_RUNS = 3;

    private final int device;
    private final cublasLtContext handle = new cublasLtContext();
    private final Pointer workspace;
    private final Map<PlanKey, LtPlan> plans = new HashMap<>();
    private final FloatPointer alphaF32 = new FloatPointer(1);
    private final FloatPointer betaF32 = new FloatPointer(1);
    private final IntPointer alphaI32 = new IntPointer(1);
    private final IntPointer betaI32 = new IntPointer(1);
    private LtInt8Copy int8Copy;
    private GemmEx gemmEx;

    /** Plans are kept per product and per set of routes a caller allows. */
    private record PlanKey(LtGemm gemm, GemmRoutes routes) {
    }

    LtContext(int device) {
        this.device = device;
        NativeStatus.check(BnbC.bnb_cuda_set_device(device), "selecting cuda:" + device + " for cuBLASLt");
        CublasLt.check(cublasLtCreate(handle), "cublasLtCreate");
        PointerPointer<Pointer> out = new PointerPointer<>(1);
        int status = BnbC.bnb_cuda_malloc(device, WORKSPACE_BYTES, out);
        if (status != BnbC.BNB_OK) {
            cublasLtDestroy(handle);
            NativeStatus.check(status, "allocating the cuBLASLt workspace on cuda:" + device);
        }
        workspace = out.get(0);
    }

    /** Runs {@code g}; returns the route that ran it. */
    GemmRoute matmul(Pointer callerStream, LtGemm g, GemmRoutes routes, float alphaValue, float betaValue, long a,
                     long b, long bias, long out) {
        PlanKey key = new PlanKey(g, routes);
        LtPlan plan = plans.get(key);
        if (plan == null) {
            plan = new LtPlan(handle, g, WORKSPACE_BYTES, routes.candidatesFor(g));
            plans.put(key, plan);
        }
        if (g.bias()) {
            plan.setBias(bias);
        }
        // the scale type: f32 for floating point GEMMs, int32 for int8 (alpha and beta are then integers)
        boolean integer = g.type() == LtType.I8_I32;
        Pointer alpha = integer ? alphaI32.put((int) alphaValue) : alphaF32.put(alphaValue);
        Pointer beta = integer ? betaI32.put((int) betaValue) : betaF32.put(betaValue);
        CUstream_st stream = new CUstream_st(callerStream);
        if (!plan.chosen() && betaValue == 0) { // the timing runs overwrite out, which beta = 0 allows
            plan.choose(fastest(plan, stream, alpha, beta, a, b, out, g));
        }
        run(plan, plan.algorithm(), stream, alpha, beta, a, b, out, g);
        return plan.algorithm().route();
    }

    private void run(LtPlan plan, LtPlan.Candidate c, CUstream_st stream, Pointer alpha, Pointer beta, long a,
                     long b, long out, LtGemm g) {
        if (c instanceof LtPlan.LtAlgorithm lt) {
            Pointer d = at(out);
            CublasLt.check(cublasLtMatmul(handle, plan.desc, alpha, at(b), plan.layoutB, at(a), plan.layoutA, beta, d,
                    plan.layoutOut, d, plan.layoutOut, lt.algo(), workspace, lt.workspaceBytes(), stream),
                    "cublasLtMatmul " + g);
        } else {
            if (gemmEx == null) {
                NativeStatus.check(BnbC.bnb_cuda_set_device(device), "selecting cuda:" + device + " for cuBLAS");
                gemmEx = new GemmEx();
            }
            gemmEx.run(stream, g, alpha, beta, a, b, out);
        }
    }

    /**
     * Times each candidate (one warm-up, then {@link #TIMED_RUNS} runs between CUDA events on the caller's
     * stream) and returns the fastest. The only host synchronisation of a plan's life: once per thread,
     * device and shape.
     */
    private LtPlan.Candidate fastest(LtPlan plan, CUstream_st stream, Pointer alpha, Pointer beta, long a, long b,
                                     long out, LtGemm g) {
        PointerPointer<Pointer> made = new PointerPointer<>(1);
        NativeStatus.check(BnbC.bnb_cuda_event_create(made), "creating a CUDA event");
        Pointer start = made.get(0);
        NativeStatus.check(BnbC.bnb_cuda_event_create(made), "creating a CUDA event");
        Pointer end = made.get(0);
        try (FloatPointer ms = new FloatPointer(1)) {
            LtPlan.Candidate best = plan.candidates().get(0);
            float bestMs = Float.MAX_VALUE;
            for (LtPlan.Candidate c : plan.candidates()) {
                run(plan, c, stream, alpha, beta, a, b, out, g);
                NativeStatus.check(BnbC.bnb_cuda_event_record(start, stream), "recording a CUDA event");
                for (int i = 0; i < TIMED_RUNS; i++) {
                    run(plan, c, stream, alpha, beta, a, b, out, g);
                }
                NativeStatus.check(BnbC.bnb_cuda_event_record(end, stream), "recording a CUDA event");
                NativeStatus.check(BnbC.bnb_cuda_event_elapsed(start, end, ms), "timing a cuBLASLt algorithm");
                if (ms.get() < bestMs) {
                    bestMs = ms.get();
                    best = c;
                }
            }
            return best;
        } finally {
            BnbC.bnb_cuda_event_destroy(start);
            BnbC.bnb_cuda_event_destroy(end);
        }
    }

    /** See {@link CublasLt#copyInt8Rows}. */
    void copyInt8Rows(Pointer stream, long rows, long cols, long src, long srcStride, long dst, long dstStride) {
        if (int8Copy == null) {
            int8Copy = new LtInt8Copy();
        }
        int8Copy.copyRows(handle, stream, rows, cols, src, srcStride, dst, dstStride);
    }

    /** A pointer object holding {@code target}; owns nothing. */
    static Pointer at(long target) {
        return new Pointer() {
            {
                this.address = target;
            }
        };
    }

    @Override
    public void close() {
        plans.values().forEach(LtPlan::close);
        plans.clear();
        if (int8Copy != null) {
            int8Copy.close();
        }
        if (gemmEx != null) {
            gemmEx.close();
        }
        cublasLtDestroy(handle);
        BnbC.bnb_cuda_free(device, workspace);
    }
}
