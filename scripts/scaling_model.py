#!/usr/bin/python3
"""Data-parallel scaling cost model: predicts efficiency at 8, 64 and 512 GPUs from the benchmark JSON.

    /usr/bin/python3 scripts/scaling_model.py [--results benchmarks/results.jsonl] [--cluster FILE]
        [--mfu 0.35] [--tokens-per-gpu N[,N...]] [--accumulation 1,4,16] [--update docs/scaling.md]

Reads benchmarks/run_all.sh's JSON lines ("bench" or "benchmark" names the kind): model_train_step (Table 1
model FLOPs, parameters), dist.allreduce (MPI latency/bandwidth fit), dist.overlap (communication hidden
behind backward), trainer_scaling (measured 1 and 2 ranks). Prints markdown, or with --update replaces the
text between <!-- scaling-model:begin --> and <!-- scaling-model:end --> in FILE. Default --tokens-per-gpu:
batch_size x 2 x max_len of configs/train/thesis_bass.yaml, and one (source, target) pair per GPU.
"""
import argparse
import json
import math
import os
import sys
import tempfile

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BEGIN, END = "<!-- scaling-model:begin -->", "<!-- scaling-model:end -->"
GPUS = (1, 2, 8, 64, 512)
MIB = 1 << 20
BUCKET_CAP, FIRST_BUCKET = 25 * MIB, 1 * MIB  # trainer defaults (include/accompanist/dist/dist_config.h)
BACKWARD_SHARE = 2.0 / 3.0  # training = 3 x forward, backward = 2 x forward (src/model/flops.cpp)


class Error(Exception):
    pass


def kind(record):
    return record.get("bench") or record.get("benchmark")


def load_records(path):
    """All complete JSON objects; a half-written last line (run_all.sh still running) is skipped."""
    if not os.path.isfile(path):
        raise Error(f"{path}: no such file (run benchmarks/run_all.sh first)")
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"warning: {path}:{n}: not JSON, skipped", file=sys.stderr)
    return out


def parameter_count(m):
    """Mirror of acc::model::parameter_count (src/model/flops.cpp), for records without 'parameters'."""
    d, heads, ff, r = m["d_model"], m["heads"], m["ff"], m["max_relative_distance"]
    vocab, dk = m.get("vocab_size", 500), m["d_model"] // m["heads"]
    attention, ffn, norm = 4 * (d * d + d), 2 * d * ff + ff + d, 2 * d
    encoder = attention + heads * (2 * r - 1) * dk + ffn + 2 * norm
    decoder = 2 * attention + heads * r * dk + ffn + 3 * norm
    a, c = m.get("bar_alignment") or {}, m.get("chord_conditioning") or {}
    bars = (2 * a.get("max_bars", 64) * d if a.get("embeddings") else 0) + \
        (m["dec_layers"] * heads * (2 * a.get("bias_distance", 4) + 1) if a.get("bias") else 0)
    chords = (int(bool(c.get("source"))) + int(bool(c.get("target")))) * 97 * d
    return 2 * vocab * d + m["enc_layers"] * encoder + m["dec_layers"] * decoder + d * vocab + vocab + bars + chords


def fit_allreduce(points, ranks):
    """Fits t = a + x / busbw with x = bytes * 2(p-1)/p to (bytes, seconds) points.

    Least squares on relative errors (weights 1/t^2): absolute errors would let the 64 MiB point decide
    everything and leave the latency to noise. Returns (alpha per ring step in s, busbw in B/s, worst
    relative residual); the ring makes 2(p-1) steps, so alpha = a / (2(p-1)).
    """
    if len(points) < 2:
        raise Error("need at least two dist.allreduce sizes for the fit")
    f = 2.0 * (ranks - 1) / ranks
    sw = sx = sy = sxx = sxy = 0.0
    for size, t in points:
        w, x = 1.0 / (t * t), size * f
        sw, sx, sy, sxx, sxy = sw + w, sx + w * x, sy + w * t, sxx + w * x * x, sxy + w * x * t
    slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
    a = (sy - slope * sx) / sw
    worst = max(abs(a + s * f * slope - t) / t for s, t in points)
    return a / (2 * (ranks - 1)), 1.0 / slope, worst


def buckets(grad_bytes):
    return 1 if grad_bytes <= FIRST_BUCKET else 1 + math.ceil((grad_bytes - FIRST_BUCKET) / BUCKET_CAP)


def ring_allreduce_s(grad_bytes, p, alpha, busbw, nbuckets=None):
    """Ring all-reduce in buckets: 2(p-1) latency steps per bucket, 2(p-1)/p x G over the bus."""
    if p == 1:
        return 0.0
    return (nbuckets or buckets(grad_bytes)) * 2 * (p - 1) * alpha + 2.0 * (p - 1) / p * grad_bytes / busbw


def ib_busbw_per_gpu(c):
    return c["ib_links_per_node"] * c["ib_link_Gbps"] / 8 * 1e9 / c["gpus_per_node"] * c["ib_efficiency"]


def gpu_allreduce_s(grad_bytes, p, c):
    """Within a node: ring over NVLink. Across n nodes (hierarchical): reduce-scatter + all-gather over
    NVLink on G, plus a ring all-reduce over InfiniBand of each GPU's G/g shard among the n nodes."""
    g = c["gpus_per_node"]
    nv_alpha = c["nvlink_latency_us"] * 1e-6 / (2 * (g - 1))  # the quoted latency is the 8-GPU all-reduce's
    nv_bw = c["nvlink_busbw_GBps"] * 1e9
    if p <= g:
        return ring_allreduce_s(grad_bytes, p, nv_alpha, nv_bw)
    if p % g:
        raise Error(f"{p} GPUs is not a whole number of {g}-GPU nodes")
    # Each bucket's shard crosses InfiniBand on its own: the bucket count of G, not of G/g.
    return ring_allreduce_s(grad_bytes, g, nv_alpha, nv_bw) + ring_allreduce_s(
        grad_bytes / g, p // g, c["ib_latency_us_per_hop"] * 1e-6, ib_busbw_per_gpu(c), buckets(grad_bytes))


def exposed_s(comm, compute, overlap):
    """Communication left after hiding up to overlap x backward; with accumulation only the last
    micro-step's backward runs alongside the all-reduce."""
    return max(0.0, comm - overlap * BACKWARD_SHARE * compute)


def efficiency(compute, exposed, k):
    return k * compute / (k * compute + exposed)


def latest(records, name, **match):
    found = [r for r in records if kind(r) == name and all(r.get(k) == v for k, v in match.items())]
    return found[-1] if found else None


def ms(seconds):
    x = seconds * 1e3
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def pct(x):
    return f"{100 * x:.1f}%"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]


class Inputs:
    """Everything the tables need, taken from the benchmark lines, the configs and the cluster file."""

    def __init__(self, args):
        self.records = load_records(args.results)
        with open(args.cluster) as f:
            self.cluster = json.load(f)
        if args.mfu is not None:
            self.cluster["mfu"] = args.mfu
        with open(os.path.join(ROOT, "configs", "train", "thesis_bass.yaml")) as f:
            self.thesis = yaml.safe_load(f)
        self.max_len = self.thesis["data"]["max_len"]
        self.tokens = args.tokens_per_gpu or [self.thesis["train"]["batch_size"] * 2 * self.max_len,
                                              2 * self.max_len]
        self.used = []
        self.model_lines = [r for r in self.records if kind(r) == "model_train_step"]
        if not self.model_lines:
            raise Error(f"{args.results}: no model_train_step lines (Table 1 model FLOPs, parameters)")
        # FLOPs per token grow with length (attention): the line at the config's max_len, else the nearest.
        self.flop_line = min(self.model_lines, key=lambda r: abs(r["len"] - self.max_len))
        self.flops_per_token = self.flop_line["model_gflop_per_step"] * 1e9 / (
            2 * self.flop_line["batch"] * self.flop_line["len"])
        self.grad_bytes = 4 * self.flop_line["parameters"]
        self.used += self.model_lines
        self.fit = self.fit_mpi()
        self.overlap, self.overlap_raw = self.read_overlap()

    def fit_mpi(self):
        lines = [r for r in self.records if kind(r) == "dist.allreduce" and r.get("ranks") == 2]
        if not lines:
            return None
        self.used += lines
        best = {}
        for r in lines:  # direct MPI_Allreduce; the best of the modes' runs is the least disturbed
            best[r["bytes"]] = min(best.get(r["bytes"], math.inf), r["direct_us"] * 1e-6)
        return fit_allreduce(sorted(best.items()), 2) + (len(best),)

    def read_overlap(self):
        r = latest(self.records, "dist.overlap", mode="thread")
        if r is None:
            return 0.0, None
        self.used.append(r)
        return min(1.0, max(0.0, r["overlap"])), r["overlap"]

    def gpu_compute_s(self, tokens):
        c = self.cluster
        return self.flops_per_token * tokens / (c["peak_tflops"] * 1e12 * c["mfu"])


def inputs_md(inp, args):
    c, revs = inp.cluster, sorted({f'{r.get("git", "?")} on {r.get("host", "?")}' for r in inp.used})
    counts = {}
    for r in inp.used:
        counts[kind(r)] = counts.get(kind(r), 0) + 1
    out = ["### Inputs", "",
           f"- Benchmarks: `{os.path.relpath(args.results, ROOT)}`, git "
           + "; ".join(revs) + " (" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + " lines).",
           f"- Table 1 model: {inp.flop_line['parameters']:,} parameters, fp32 gradients G = "
           f"{inp.grad_bytes / 1e6:.1f} MB in {buckets(inp.grad_bytes)} buckets (1 MiB, then 25 MiB); "
           f"{inp.flops_per_token / 1e6:.1f} MFLOP per token for training at length {inp.flop_line['len']} "
           "(model_train_step: forward + backward = 3 x forward).",
           "- Tokens per GPU per micro-step: " + ", ".join(f"{t:,}" for t in inp.tokens) + " (default: "
           "configs/train/thesis_bass.yaml batch_size x 2 x max_len, and one source/target pair per GPU).",
           f"- GPU: {c['peak_tflops']} TFLOP/s peak ({c['peak_note']}); "
           f"**MFU {c['mfu']:.2f} is an assumption**, not a measurement; {c['gpus_per_node']} GPUs per node.",
           f"- NVLink all-reduce: bus bandwidth {c['nvlink_busbw_GBps']} GB/s, latency "
           f"{c['nvlink_latency_us']} us per {c['gpus_per_node']}-GPU all-reduce. InfiniBand: "
           f"{c['ib_links_per_node']} x {c['ib_link_Gbps']} Gb/s per node x {c['ib_efficiency']} = "
           f"{ib_busbw_per_gpu(c) / 1e9:.1f} GB/s per GPU, {c['ib_latency_us_per_hop']} us per hop.",
           f"- Sources (typical figures, not measured here): {c['source']}."]
    if inp.fit:
        alpha, bw, worst, n = inp.fit
        out.append(f"- MPI all-reduce on this machine (2 ranks, {n} sizes, fit of t = 2(p-1) alpha + "
                   f"2(p-1)/p x bytes / busbw): alpha = {alpha * 1e6:.1f} us per step, "
                   f"busbw = {bw / 1e9:.2f} GB/s, worst residual {100 * worst:.0f}%.")
    if inp.overlap_raw is not None:
        out.append(f"- Overlap (dist.overlap, thread mode, 2 ranks): {inp.overlap_raw:.2f} of the "
                   f"communication hidden; used as f = {inp.overlap:.2f}.")
    return out


def model_md():
    return ["", "### Model", "",
            "- Compute per micro-step: t_c = FLOP/token x tokens / (peak x MFU) on a GPU; measured on this "
            "CPU.",
            "- Gradient all-reduce of G = 4 x parameters bytes, latency per bucket: ring within a node, "
            "t = 2(p-1) alpha b + 2(p-1)/p G / busbw (b buckets); across n = p/8 nodes, hierarchical: "
            "t = [NVLink ring on G, p = 8] + [InfiniBand ring over n nodes on G/8 per GPU]. Ring latency "
            "grows with n; NCCL's trees would cut it at 512 GPUs, so that term is pessimistic.",
            "- Overlap: exposed = max(0, t_ar - f x t_bwd), t_bwd = 2/3 t_c. f is dist.overlap's fraction of "
            "communication hidden, applied as the share of backward that carries communication. It was "
            "measured on 2 CPU ranks, where MPI's progress thread competes with compute for the cores "
            "(NCCL on a GPU overlaps better), so the tables also give f = 1 (ideal) and f = 0 (none).",
            "- Accumulation K: one all-reduce per K micro-steps, overlapping only the last backward: "
            "efficiency = K t_c / (K t_c + exposed), weak scaling at fixed tokens per GPU (the global batch "
            "grows with p x K; the thesis's global batch of 16 pairs alone would stop at 16 GPUs)."]


def check_md(inp):
    """Predicts the measured 2-rank cpu_small run from its own compute, the MPI fit and the overlap."""
    out = ["", "### Check against the measured 1 -> 2 ranks (this machine)", ""]
    one = latest(inp.records, "trainer_scaling", ranks=1)
    two = latest(inp.records, "trainer_scaling", ranks=2)
    if not (one and two and inp.fit):
        return out + ["n/a: needs trainer_scaling lines at 1 and 2 ranks and dist.allreduce lines."]
    inp.used += [one, two]
    alpha, bw = inp.fit[0], inp.fit[1]
    params, source = two.get("parameters"), "trainer_scaling"
    if params is None:
        with open(os.path.join(ROOT, "configs", "train", "cpu_small.yaml")) as f:
            params, source = parameter_count(yaml.safe_load(f)["model"]), "configs/train/cpu_small.yaml"
    grad = 4 * params
    # Per-rank compute differs from the 1-rank run (2 threads vs 1 each): take the 2-rank run's own.
    compute = (two["ms_per_step"] - two["ms_comm_exposed"]) / 1e3
    comm = ring_allreduce_s(grad, 2, alpha, bw)
    exposed = exposed_s(comm, compute, inp.overlap)
    step = compute + exposed
    # Tokens per rank and step as measured on 1 rank (run.json's max_len bound counts padding too).
    tok = one["tokens_per_s"] * one["ms_per_step"] / 1e3
    tps = f"{2 * tok / step:,.0f}"
    rows = [["threads per rank", one["threads_per_rank"], two["threads_per_rank"], two["threads_per_rank"]],
            ["gradient bytes (cpu_small)", "", f'{4 * two["parameters"] / 1e6:.2f} MB' if "parameters" in two
             else "n/a", f"{grad / 1e6:.2f} MB ({source})"],
            ["compute per rank, ms", f'{one["ms_per_step"] - one["ms_comm_exposed"]:.1f}',
             f"{compute * 1e3:.1f}", f"{compute * 1e3:.1f} (input)"],
            ["all-reduce per step, ms (no overlap)", "", "n/a", ms(comm)],
            ["exposed communication, ms", f'{one["ms_comm_exposed"]:.1f}', f'{two["ms_comm_exposed"]:.1f}',
             ms(exposed)],
            ["ms per step", f'{one["ms_per_step"]:.0f}', f'{two["ms_per_step"]:.0f}', f"{step * 1e3:.0f}"],
            ["tokens/s (all ranks)", f'{one["tokens_per_s"]:,.0f}', f'{two["tokens_per_s"]:,.0f}', tps],
            ["efficiency vs 1 rank", "100%", pct(two["tokens_per_s"] / (2 * one["tokens_per_s"])),
             pct(one["ms_per_step"] / 1e3 / step)],
            ["efficiency, communication only", "", pct(compute / (two["ms_per_step"] / 1e3)),
             pct(efficiency(compute, exposed, 1))]]
    out += table(["configs/train/cpu_small.yaml", "1 rank measured", "2 ranks measured", "2 ranks predicted"],
                 rows)
    if two["ms_comm_exposed"] / 1e3 > comm:
        out += ["", f"The measured exposed time exceeds the whole predicted all-reduce ({ms(comm)} ms): "
                "the rest is waiting for the slower rank and the bucket copies, not transfer time."]
    out += ["", "The Table 1 model on this machine at 2 ranks (measured step, predicted communication):", ""]
    rows, c = [], ring_allreduce_s(inp.grad_bytes, 2, alpha, bw)
    for r in inp.model_lines:
        e = exposed_s(c, r["step_s"], inp.overlap)
        rows.append([r["len"], r["batch"], ms(r["step_s"]), ms(c), ms(e), pct(efficiency(r["step_s"], e, 1))])
    return out + table(["length", "batch", "compute ms", "all-reduce ms", "exposed ms", "efficiency"], rows)


def prediction_md(inp, ks):
    out = []
    for tokens in inp.tokens:
        tc = inp.gpu_compute_s(tokens)
        out += ["", f"### Predicted on H100s: {tokens:,} tokens per GPU per micro-step "
                f"(compute {ms(tc)} ms)", ""]
        rows = []
        for p in GPUS:
            comm = gpu_allreduce_s(inp.grad_bytes, p, inp.cluster)
            for k in ks:
                e = exposed_s(comm, tc, inp.overlap)
                step = k * tc + e
                rate = f"{p * k * tokens / step / 1e6:,.1f}"
                rows.append([p, k, ms(k * tc), ms(comm), ms(e), ms(step), rate,
                             pct(efficiency(tc, e, k)), pct(efficiency(tc, exposed_s(comm, tc, 1.0), k)),
                             pct(efficiency(tc, comm, k))])
        out += table(["GPUs", "K", "compute ms", "all-reduce ms", f"exposed ms (f={inp.overlap:.2f})",
                      "ms per update", "Mtokens/s", "efficiency", "f = 1", "f = 0"], rows)
    return out


def report(args):
    inp = Inputs(args)
    body = check_md(inp) + prediction_md(inp, args.accumulation) + model_md()
    return "\n".join(inputs_md(inp, args) + body) + "\n"


def update(path, text):
    """Replaces what lies between the markers; temp file + rename so readers never see half a file."""
    with open(path) as f:
        doc = f.read()
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise Error(f"{path}: markers {BEGIN} ... {END} not found")
    new = doc[:start + len(BEGIN)] + "\n" + text + doc[end:]
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".scaling_model.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(new)
        os.chmod(tmp, os.stat(path).st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def int_list(s):
    return [int(x) for x in s.split(",") if x]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results.jsonl"))
    ap.add_argument("--cluster", default=os.path.join(ROOT, "benchmarks", "cost_model", "gpu_cluster.json"))
    ap.add_argument("--mfu", type=float, help="achievable model FLOPs utilisation (default: cluster file's)")
    ap.add_argument("--tokens-per-gpu", type=int_list, help="tokens per GPU per micro-step, N[,N...]")
    ap.add_argument("--accumulation", type=int_list, default=[1, 4, 16], help="K values, e.g. 1,4,16")
    ap.add_argument("--update", metavar="FILE", help="replace the text between the scaling-model markers")
    args = ap.parse_args(argv)
    try:
        if args.mfu is not None and not 0 < args.mfu <= 1:
            raise Error("--mfu must be in (0, 1]")
        if min(args.accumulation) < 1 or (args.tokens_per_gpu and min(args.tokens_per_gpu) < 1):
            raise Error("--accumulation and --tokens-per-gpu take positive integers")
        text = report(args)
        if args.update:
            update(args.update, text)
        else:
            sys.stdout.write(text)
    except (Error, OSError, KeyError, ValueError) as e:
        what = f"missing field {e}" if isinstance(e, KeyError) else str(e)
        print(f"error: {what}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
