"""PyTorch's fused Adam on the optimizer benchmark cases, for a side-by-side with bnb4j.

Prints one JSON line per case in the schema of DESIGN.md ("kind":"optim"). Run on the GPU host:
    python3 scripts/bench/torch_fused_adam.py
"""
import json

import torch


def gpt2_medium_shapes():
    shapes = [(50257, 1024), (1024, 1024)]
    for _ in range(24):
        shapes += [(1024,), (1024,), (3072, 1024), (3072,), (1024, 1024), (1024,), (1024,), (1024,),
                   (4096, 1024), (4096,), (1024, 4096), (1024,)]
    shapes += [(1024,), (1024,)]
    return shapes


def time_steps(opt, params, iters=20, repeats=5):
    for p in params:
        p.grad = torch.randn_like(p) * 0.01
    for _ in range(3):
        opt.step()
    times = []
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(repeats):
        start.record()
        for _ in range(iters):
            opt.step()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / iters)
    times.sort()
    return times[len(times) // 2]


def main():
    cases = [("single_2^30", [(1 << 30,)]), ("gpt2_medium", gpt2_medium_shapes())]
    for dtype_name, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        for case, shapes in cases:
            params = [torch.nn.Parameter(torch.randn(s, device="cuda", dtype=dtype) * 0.1) for s in shapes]
            n = sum(p.numel() for p in params)
            opt = torch.optim.Adam(params, lr=1e-3, fused=True)
            ms = time_steps(opt, params)
            state = sum(t.numel() * t.element_size() for st in opt.state.values() for t in st.values()
                        if torch.is_tensor(t) and t.numel() > 1)
            print(json.dumps({"kind": "optim", "case": case, "dtype": dtype_name,
                              "optimizer": "torch.optim.Adam(fused)",
                              "params": n, "tensors": len(params), "step_ms": round(ms, 4),
                              "state_bytes_per_param": round(state / n, 3), "gparams_per_s": round(n / ms / 1e6, 2)}),
                  flush=True)
            del opt, params
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
