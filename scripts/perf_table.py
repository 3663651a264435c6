"""Summarises benchmark JSON lines (docs/perf/*.jsonl) as Markdown tables for docs/PERFORMANCE.md.

    python3 scripts/perf_table.py docs/perf/2026-11-22-h200.jsonl
"""
import json
import sys


def table(rows, columns):
    out = ["| " + " | ".join(c for c, _ in columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(fmt(r.get(key)) for _, key in columns) + " |")
    return "\n".join(out)


def fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 100 else f"{v:.0f}"
    return "" if v is None else str(v)


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    kinds = {}
    for r in rows:
        kinds.setdefault(r["kind"], []).append(r)
    if "blockwise" in kinds:
        print(table(kinds["blockwise"], [("dtype", "dtype"), ("blocksize", "blocksize"), ("quant GB/s", "quant_gbs"),
                                         ("dequant GB/s", "dequant_gbs"), ("quant ms", "quant_ms"),
                                         ("dequant ms", "dequant_ms")]))
        print()
    if "optim" in kinds:
        print(table(kinds["optim"], [("case", "case"), ("dtype", "dtype"), ("optimizer", "optimizer"),
                                     ("tensors", "tensors"), ("step ms", "step_ms"),
                                     ("G params/s", "gparams_per_s"), ("state B/param", "state_bytes_per_param"),
                                     ("device state B/param", "device_state_bytes_per_param")]))


if __name__ == "__main__":
    main(sys.argv[1])
