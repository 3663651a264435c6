"""PyTorch's torch.sort of the quantile benchmark's tensors, the comparison of the "quantiles" lines.

Prints one JSON line per (dtype, n) for n = 2^20, 2^24, 2^28 (normal values on cuda:0):
    {"kind":"torch_sort","dtype":"f32","n":268435456,"torch_sort_ms":..}
QuantilesBenchmark joins them into its lines when TORCH_SORT_JSONL names the file they were written to.
Device time from CUDA events, median of 5 runs after 2 warm-up runs. Run on the GPU host:
    python3 scripts/bench/torch_sort.py
"""
import json

import torch


def median_ms(fn, repeats=5):
    for _ in range(2):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(repeats):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main():
    for name, dtype in (("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)):
        for log2 in (20, 24, 28):
            n = 1 << log2
            x = torch.randn(n, device="cuda", dtype=dtype)
            ms = median_ms(lambda: torch.sort(x))
            print(json.dumps({"kind": "torch_sort", "dtype": name, "n": n, "torch_sort_ms": round(ms, 4)},
                             separators=(",", ":")), flush=True)
            del x
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
