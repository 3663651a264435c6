package io.github.bnb4j.nativelib.cublas;

import static org.bytedeco.cuda.global.cublas.*;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cublas.cublasLtMatmulAlgo_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulDescOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulHeuristicResult_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulPreferenceOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatrixLayoutOpaque_t;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The cuBLASLt descriptors and the algorithm chosen for one {@link LtGemm}, made once per thread and
 * device and reused. Row-major {@code out = op(A)·op(B)} runs as the column-major {@code outᵀ = op(B)ᵀ·op(A)ᵀ}:
 * a row-major buffer read column-major is its transpose, so no data moves. The heuristic's best guess is not
 * always the fastest (measured on the H200: up to 2x at M = 1, 11% at 4096³ bf16), so the plan keeps up to
 * {@link #MAX_CANDIDATES} algorithms, and besides them {@code cublasGemmEx} where {@link GemmRoutes} allow it
 * (cuBLAS has kernels the heuristic lacks: GEMV for one-row products); {@link LtContext} times them once, on the
 * first call that may overwrite the output (beta = 0), and keeps the fastest.
 */
final class LtPlan implements AutoCloseable {
    /** How many algorithms the heuristic is asked for; the fastest on the first call is kept. */
    static final int MAX_CANDIDATES = 8;

    final cublasLtMatmulDescOpaque_t desc;
    final cublasLtMatrixLayoutOpaque_t layoutB;
    final cublasLtMatrixLayoutOpaque_t layoutA;
    final cublasLtMatrixLayoutOpaque_t layoutOut;
    /** Candidates in the order of the routes and, for cuBLASLt, the heuristic's; {@link #choose} keeps one. */
    private final List<Candidate> candidates = new ArrayList<>();
    private Candidate chosen;

    /** One way to run the plan's product. */
    sealed interface Candidate permits LtAlgorithm, CublasDefault {
        GemmRoute route();
    }

    /** One algorithm cuBLASLt's heuristic offered, with the workspace it needs. */
    record LtAlgorithm(cublasLtMatmulAlgo_t algo, long workspaceBytes) implements Candidate {
        @Override
        public GemmRoute route() {
            return GemmRoute.CUBLASLT;
        }
    }

    /** {@code cublasGemmEx} with cuBLAS's default algorithm choice. */
    record CublasDefault() implements Candidate {
        @Override
        public GemmRoute route() {
            return GemmRoute.CUBLAS;
        }
    }

    /**
     * @param routes the routes to offer, in order (from {@link GemmRoutes#candidatesFor})
     * @throws UnsupportedOperationException if no route has an algorithm for {@code g}
     */
    LtPlan(cublasLtContext handle, LtGemm g, long workspaceLimit, List<GemmRoute> routes) {
        LtType t = g.type();
        PointerPointer<Pointer> made = new PointerPointer<>(1);
        CublasLt.check(cublasLtMatmulDescCreate(made, t.compute, t.scale), "cublasLtMatmulDescCreate");
        desc = new cublasLtMatmulDescOpaque_t(made.get(0));
        // cuBLASLt's first operand is op(B)ᵀ: B stored [n, k] (transB) is column-major [k, n], transposed.
        setDesc(CUBLASLT_MATMUL_DESC_TRANSA, g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N);
        setDesc(CUBLASLT_MATMUL_DESC_TRANSB, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N);
        if (g.bias()) {
            setDesc(CUBLASLT_MATMUL_DESC_EPILOGUE, CUBLASLT_EPILOGUE_BIAS);
        }
        layoutB = layout(made, t.operand, g.transB() ? g.k() : g.n(), g.transB() ? g.n() : g.k(), g.ldb());
        layoutA = layout(made, t.operand, g.transA() ? g.m() : g.k(), g.transA() ? g.k() : g.m(), g.lda());
        layoutOut = layout(made, t.output, g.n(), g.m(), g.ldo());
        for (GemmRoute route : routes) {
            if (route == GemmRoute.CUBLASLT) {
                addHeuristicCandidates(handle, g, workspaceLimit, made);
            } else {
                candidates.add(new CublasDefault());
            }
        }
        if (candidates.isEmpty()) {
            close();
            throw new UnsupportedOperationException("cuBLASLt has no algorithm for " + g);
        }
    }

    private void addHeuristicCandidates(cublasLtContext handle, LtGemm g, long workspaceLimit,
                                        PointerPointer<Pointer> made) {
        CublasLt.check(cublasLtMatmulPreferenceCreate(made), "cublasLtMatmulPreferenceCreate");
        cublasLtMatmulPreferenceOpaque_t preference = new cublasLtMatmulPreferenceOpaque_t(made.get(0));
        try (LongPointer limit = new LongPointer(1).put(workspaceLimit);
             IntPointer align = new IntPointer(1).put(g.alignment());
             IntPointer found = new IntPointer(1);
             cublasLtMatmulHeuristicResult_t results = new cublasLtMatmulHeuristicResult_t(MAX_CANDIDATES)) {
            CublasLt.check(cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                    limit, Long.BYTES), "max workspace");
            for (int attribute : new int[] {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES}) {
                CublasLt.check(cublasLtMatmulPreferenceSetAttribute(preference, attribute, align, Integer.BYTES),
                        "min alignment");
            }
            CublasLt.check(cublasLtMatmulAlgoGetHeuristic(handle, desc, layoutB, layoutA, layoutOut, layoutOut,
                    preference, MAX_CANDIDATES, results, found), "cublasLtMatmulAlgoGetHeuristic for " + g);
            for (int i = 0; i < found.get(); i++) {
                cublasLtMatmulHeuristicResult_t r = results.getPointer(i);
                cublasLtMatmulAlgo_t algo = new cublasLtMatmulAlgo_t();
                Pointer.memcpy(algo, r.algo(), algo.sizeof());
                candidates.add(new LtAlgorithm(algo, r.workspaceSize()));
            }
        } finally {
            cublasLtMatmulPreferenceDestroy(preference);
        }
    }

    /** Whether {@link #choose} has run, or there was nothing to choose from. */
    boolean chosen() {
        return chosen != null || candidates.size() == 1;
    }

    /** The chosen candidate, or the first until {@link #choose} runs. */
    Candidate algorithm() {
        return chosen != null ? chosen : candidates.get(0);
    }

    /** The heuristic's candidates, for {@link #choose}. */
    List<Candidate> candidates() {
        return candidates;
    }

    /** Keeps {@code c} for every later call. */
    void choose(Candidate c) {
        chosen = c;
    }

    /** Points the bias epilogue at this call's bias vector. */
    void setBias(long address) {
        try (LongPointer p = new LongPointer(1).put(address)) {
            CublasLt.check(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, p, Long.BYTES),
                    "bias pointer");
        }
    }

    private void setDesc(int attribute, int value) {
        try (IntPointer p = new IntPointer(1).put(value)) {
            CublasLt.check(cublasLtMatmulDescSetAttribute(desc, attribute, p, Integer.BYTES), "matmul attribute");
        }
    }

    private static cublasLtMatrixLayoutOpaque_t layout(PointerPointer<Pointer> made, int type, long rows, long cols,
                                                        long ld) {
        CublasLt.check(cublasLtMatrixLayoutCreate(made, type, rows, cols, ld), "cublasLtMatrixLayoutCreate");
        return new cublasLtMatrixLayoutOpaque_t(made.get(0));
    }


    @Override
    public void close() {
        for (cublasLtMatrixLayoutOpaque_t l : new cublasLtMatrixLayoutOpaque_t[] {layoutB, layoutA, layoutOut}) {
            if (l != null) {
                cublasLtMatrixLayoutDestroy(l);
            }
        }
        if (desc != null) {
            cublasLtMatmulDescDestroy(desc);
        }
    }
}
