#!/usr/bin/env bash
# Runs on a CUDA host with no JDK, Maven or network, from the unpacked bundle:
#   diagnostics, cuobjdump of the CUDA backend, the cuda-tagged tests, the CPU tests, the benchmarks.
# Results go to $OUT (default ./results): summary.txt, bench.jsonl and results.tgz (every log and report).
# BNB_REBUILD=1 first rebuilds the CUDA backend from csrc with this host's nvcc and uses that build.
# BENCH_ARGS selects benchmarks: a space-separated list of main classes (default: all).
# BNB_REPO: the repository checkout holding the test data (default: the current directory).
# BNB_CUDA_TESTS=0 / BNB_CPU_TESTS=0 skip the Java test runs; TORCH_BENCH=0 skips PyTorch's fused Adam.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/results}
work=${BNB_WORK_DIR:-$(mktemp -d)}  # BNB_WORK_DIR keeps the logs where a caller can collect them after a timeout
mkdir -p "$out" "$work"
java="$here/jre/bin/java"
cp_lib="$here/lib/*"
tests="$here/tests/classes"
lib_jars=$(ls "$here"/lib/*.jar | tr '\n' ':')
# Test data comes from the repository's working tree (BNB_REPO, default: the current directory), not the bundle.
repo=${BNB_REPO:-$PWD}
test_data=""
while read -r dir; do
  if [ -d "$repo/$dir" ]; then test_data="$test_data$repo/$dir:"; else echo "no test data at $repo/$dir" >&2; fi
done < "$here/tests/data-dirs.txt"
launcher=$(ls "$here"/tests/junit-platform-console-standalone-*.jar)
log() { echo "$*" | tee -a "$work/summary.txt"; }
# cuBLAS/cuBLASLt for the JavaCPP presets come from the host's toolkit; cuda/ holds the plugin and the C++
# CUDA test programs built with the bundle (they load its libbnb_cpu.so).
export LD_LIBRARY_PATH="/usr/local/cuda/lib64:$here/cuda${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export BNB_NATIVE_DIR="$here/cuda"

log "== bnb4j GPU run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
nvidia-smi > "$work/nvidia-smi.txt" 2>&1 && head -15 "$work/nvidia-smi.txt" | tee -a "$work/summary.txt"
for so in "$here"/cuda/libbnb_cuda*.so; do
  log "== cuobjdump $(basename "$so")"
  cuobjdump --list-elf --list-ptx "$so" 2>&1 | sed 's/^.*: //' | sort -u | tee -a "$work/summary.txt"
done
if [ "${BNB_REBUILD:-0}" = 1 ]; then
  log "== rebuilding the CUDA backend with $(nvcc --version | tail -1)"
  cmake -S "$here/csrc" -B "$work/build" -DBNB_CUDA=ON -DBNB_OUTPUT_DIR="$work/natives" > "$work/rebuild.txt" 2>&1 &&
    cmake --build "$work/build" --parallel >> "$work/rebuild.txt" 2>&1 ||
    { log "rebuild FAILED"; tail -30 "$work/rebuild.txt"; }
  export BNB_NATIVE_DIR="$work/natives"
fi

if [ "${BNB_NATIVE_TESTS:-0}" = 1 ]; then
  log "== C++ CUDA kernel tests and benchmarks (csrc/tests, built with the bundle)"
  plugin=$(ls "$BNB_NATIVE_DIR"/libbnb_cuda*.so)
  for t in "$here"/cuda/bnb_*tests "$here"/cuda/bnb_*bench; do
    [ -x "$t" ] || continue
    log "-- $(basename "$t")"
    "$t" "$plugin" > "$work/$(basename "$t").txt" 2>&1; rc=$?
    tail -15 "$work/$(basename "$t").txt" | tee -a "$work/summary.txt"; log "exit code $rc"
  done
fi

log "== diagnostics"
"$java" -cp "$cp_lib" io.github.bnb4j.core.Diagnostics 2>&1 | tee "$work/diagnostics.txt" | tee -a "$work/summary.txt"

run_tests() { # name, extra launcher args...
  local name=$1; shift
  log "== tests: $name"
  "$java" -jar "$launcher" execute --class-path "$test_data$tests:$lib_jars" --scan-class-path "$tests" \
    --reports-dir "$work/junit-$name" --details=tree --disable-banner "$@" > "$work/tests-$name.txt" 2>&1
  local rc=$?
  grep -E "tests (successful|failed|aborted|skipped|found)|containers failed" "$work/tests-$name.txt" |
    tee -a "$work/summary.txt"
  grep -E "✘|MethodSource .* =>|=> " "$work/tests-$name.txt" | head -40 | tee -a "$work/summary.txt"
  log "exit code $rc"
}
if [ "${BNB_CUDA_TESTS:-1}" = 1 ]; then
  run_tests cuda --include-tag cuda
fi
if [ "${BNB_CPU_TESTS:-1}" = 1 ]; then
  run_tests cpu --exclude-tag cuda --exclude-tag slow --exclude-tag benchmark
fi

log "== benchmarks"
bench_package=io.github.bnb4j.examples.bench
benches=${BENCH_ARGS:-$bench_package.BlockwiseBenchmark $bench_package.OptimizerBenchmark
  $bench_package.QuantilesBenchmark $bench_package.GemmBenchmark $bench_package.Int8Benchmark
  $bench_package.FourBitBenchmark $bench_package.TransformerBenchmark
  $bench_package.DecodeBenchmark $bench_package.LoadBenchmark}
# torch.sort of the quantile benchmark's tensors, joined into its lines (QuantilesBenchmark reads TORCH_SORT_JSONL)
[ "${TORCH_BENCH:-1}" = 1 ] && command -v python3 >/dev/null &&
  python3 "$here/bench/torch_sort.py" > "$work/torch_sort.jsonl" 2>> "$work/torch.err" &&
  export TORCH_SORT_JSONL="$work/torch_sort.jsonl"
: > "$work/bench.jsonl"
for b in $benches; do
  "$java" -Xmx32g -cp "$cp_lib" $b 2> "$work/bench-$(basename "${b//./_}").err" | tee -a "$work/bench.jsonl"
done
if [ "${TORCH_BENCH:-1}" = 1 ] && command -v python3 >/dev/null; then
  log "== PyTorch fused Adam, same GPU, same session"
  python3 "$here/bench/torch_fused_adam.py" 2> "$work/torch.err" | tee -a "$work/bench.jsonl"
fi
grep -h '^{"kind"' "$work"/bnb_*bench.txt 2>/dev/null >> "$work/bench.jsonl"  # JSON lines of the C++ benchmarks
cp "$work/summary.txt" "$work/bench.jsonl" "$out/"
tar czf "$out/results.tgz" -C "$work" .
echo "results in $out"
