#!/usr/bin/python3
"""Markdown tables of a benchmark results file (benchmarks/run_all.sh output).

  /usr/bin/python3 benchmarks/results_table.py benchmarks/results.jsonl > benchmarks/results.md

Each benchmark names itself with "bench" or "benchmark"; one section per kind,
in the order of the suite. Ratios come from the lines themselves (measured in
the same process or script); nothing here is typed in by hand.
"""
import json
import sys


def kind(r):
    return r.get("benchmark") or r.get("bench") or "?"


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(out)


def prep(rs):
    rows = [[r["impl"], r.get("threads", 1), r.get("files", r.get("songs")), fmt(r["files_per_s"]),
             fmt(r["notes_per_s"], 0), fmt(r.get("peak_rss_mb"))] for r in rs if r["impl"] != "ratio"]
    ratio = next((r for r in rs if r["impl"] == "ratio"), {})
    return (table(["pipeline", "threads", "files", "files/s", "notes/s", "peak MB"], rows) +
            f"\n\nRatio to Python, reading phase: **{fmt(ratio.get('files_per_s_1thread'))}x** on 1 thread, "
            f"{fmt(ratio.get('files_per_s_all_threads'))}x on all threads (target {ratio.get('target', 'n/a')}x).")


def tokenizer(rs):
    rows = []
    for r in rs:
        for what, key in (("REMI", "remi"), ("BPE", "bpe"), ("REMI + BPE", "remi_bpe")):
            rows.append([what, fmt(r["cpp"][f"{key}_tokens_per_s"] / 1e6, 2),
                         fmt(r["python"][f"{key}_tokens_per_s"] / 1e6, 3), f"**{fmt(r[f'ratio_{key}'])}x**"])
    r = rs[-1]
    return (table(["encoding", "C++ M tokens/s", "Python M tokens/s", "ratio"], rows) +
            f"\n\nWorkload: {r['workload']}, {r['parts']} parts, {fmt(r['base_tokens'])} REMI tokens, BPE to "
            f"vocabulary {r['vocab_size']} ({fmt(r['compression'], 2)}x fewer tokens, learnt in "
            f"{fmt(r['train_seconds'], 2)} s).")


def model_train(rs):
    rows = [[r["len"], r["batch"], r.get("precision", "fp32"), fmt(r["step_s"], 2), fmt(r["tokens_per_s"], 0),
             fmt(r["achieved_gflop_per_s"]),
             f"{100 * r['fraction_of_gemm_peak']:.0f}%" if "fraction_of_gemm_peak" in r else "n/a",
             fmt(r["peak_rss_mb"], 0)] for r in rs]
    r0 = rs[0]
    peaks = ""
    if "gemm_peak_fp32_gflop_per_s" in r0:
        peaks = (f" GEMM peak measured in the same run (1024^3 at::mm): {fmt(r0['gemm_peak_fp32_gflop_per_s'])} GFLOP/s "
                 f"fp32, {fmt(r0['gemm_peak_bf16_gflop_per_s'])} GFLOP/s bf16; CPU flags: {r0.get('cpu_flags', '?')}; "
                 f"attention mode {r0.get('attention', '?')}.")
    return (table(["length", "batch", "precision", "s/step", "tokens/s", "GFLOP/s", "of GEMM peak", "peak MB"], rows) +
            f"\n\nTable 1 model ({fmt(r0.get('parameters'))} parameters), forward + backward + Adam, "
            f"{r0['threads']} thread(s), tokens counted source + target.{peaks}")


def model_vs_python(rs):
    rows = [[r["len"], r["batch"], r["threads"], r.get("repeats", 1), fmt(r["cpp_step_s"], 3),
             fmt(r["python_step_s"], 3), f"**{fmt(r['speedup_vs_python'], 2)}x**", fmt(r["cpu_speedup_vs_python"], 2)]
            for r in rs]
    out = (table(["length", "batch", "threads", "repeats", "C++ s/step", "Python s/step", "speed-up (median)",
                  "CPU-time ratio"], rows) +
           f"\n\nSame model, batch, optimizer and thread count (OpenBLAS at 1 thread on both sides); "
           f"Python: torch {rs[0].get('python_torch', '?')}, benchmarks/model/bench_reference.py. "
           f"First columns: C++ and Python at {rs[0].get('precisions', ['fp32'])[0]}.")
    detail = []
    for r in rs:
        precisions = r.get("precisions")
        if not precisions or "python_fp32_step_s" not in r:
            continue
        for p in precisions:
            for variant, name in (("cpp_", "as trained"), ("cpp_fused_", "fused attention"),
                                  ("cpp_composite_", "composite attention")):
                if f"{variant}{p}_step_s" not in r:
                    continue
                row = [r["len"], r["batch"], f"C++ {p}, {name}", fmt(r[f"{variant}{p}_step_s"], 3),
                       fmt(r[f"{variant}{p}_step_cpu_s"], 3)]
                for q in ("fp32", "bf16"):
                    key = f"speedup_{variant}{p}_vs_python_{q}"
                    row += [f"**{fmt(r[key], 2)}x**" if key in r else "n/a",
                            fmt(r.get(f"cpu_{key}"), 2) if f"cpu_{key}" in r else "n/a"]
                detail.append(row)
        for q in precisions:
            detail.append([r["len"], r["batch"], f"Python {q}" + (" (torch.autocast)" if q == "bf16" else ""),
                           fmt(r[f"python_{q}_step_s"], 3), fmt(r[f"python_{q}_step_cpu_s"], 3)] + [""] * 4)
    if detail:
        r = next(r for r in rs if r.get("precisions"))
        out += ("\n\nBy precision and attention path (medians of the repeats; speed-up = Python median / C++ median, "
                "wall clock and CPU time):\n\n" +
                table(["length", "batch", "run", "s/step", "CPU s/step", "vs Python fp32", "(CPU)", "vs Python bf16",
                       "(CPU)"], detail) +
                f"\n\nCPU flags: {r.get('cpu_flags', '?')} (native bf16: {r.get('native_bf16', '?')}). "
                "Python bf16 is torch.autocast('cpu', dtype=torch.bfloat16) around the forward pass; C++ bf16 is "
                "train.precision bf16 (the same autocast from C++).")
    return out


def model_generate(rs):
    rows = [[r["source_len"], r["generated"], r.get("precision", "fp32"), fmt(r["encode_s"], 2), fmt(r["cached_s"], 2),
             fmt(r.get("cached_cpu_s"), 2), fmt(r["cached_tokens_per_s"]), fmt(r["recompute_tokens_per_s"]),
             f"**{fmt(r['speedup'])}x**", r["recompute"]] for r in rs]
    return (table(["source", "generated", "precision", "encode s", "cached s", "cached CPU s", "cached tokens/s",
                   "recompute tokens/s", "speed-up", "recompute timing"], rows) +
            "\n\nBatch 1, greedy. precision: autocast around the whole run (encoder and every step); the "
            "generator itself runs only the encoder under the precision rule and the steps in fp32 (docs/model.md).")


def generate(rs):
    by = {}
    for r in rs:
        by.setdefault(r["batch"], {})[r["cache"]] = r
    rows = [[b, fmt(v[True]["tokens_per_s"]), fmt(v[False]["tokens_per_s"]), f"**{fmt(v[False]['cache_speedup'])}x**"]
            for b, v in sorted(by.items()) if True in v and False in v]
    r = rs[0]
    return (table(["batch", "cached tokens/s", "recompute tokens/s", "speed-up"], rows) +
            f"\n\n`acc::generate::Generator`, d_model {r['d_model']}, {r['layers']}+{r['layers']} layers, source "
            f"{r['source_len']}, {r['tokens_per_sample']} tokens per sample, {r['threads']} thread(s).")


def evaluation(rs):
    out = []
    for r in rs:
        if kind(r) == "levenshtein_random_pairs":
            out.append(f"- Levenshtein, {fmt(r['pairs'])} random pairs on {r['threads']} thread(s): {fmt(r['wall_s'], 2)} s "
                       f"wall, **{fmt(r['speedup_vs_dp_per_cpu_s'])}x** the plain dynamic programme per CPU second.")
        else:
            out.append(f"- Whole evaluation of {r['samples']} samples against {r['validation_pairs']} validation pairs "
                       f"({fmt(r['random_pairs_per_figure'])} random pairs per figure): **{fmt(r['wall_s'], 1)} s** "
                       f"wall ({fmt(r['wall_s_without_random_pairs'], 2)} s without the random pairs).")
    return "\n".join(out)


def allreduce(rs):
    rows = [[fmt(r["bytes"] / 1024, 0) + " KiB", fmt(r["direct_us"]), fmt(r["comm_us"]), fmt(r["ratio"], 2),
             fmt(r["busbw_GBps"], 2)] for r in rs if r.get("mode") == "thread"]
    return (table(["size", "MPI_Allreduce us", "communicator us", "ratio", "bus GB/s (MPI)"], rows) +
            f"\n\n{rs[0]['ranks']} ranks, best of 3 interleaved rounds; ratio 1.0 = no overhead over raw MPI.")


def overlap(rs):
    rows = [[r["mode"], fmt(r["gradient_MiB"]), fmt(r["compute_step_s"], 3), fmt(r["serial_step_s"], 3),
             fmt(r["bucketed_step_s"], 3), f"**{fmt(100 * r['overlap'], 0)}%**", fmt(r["speedup_vs_serial"], 2)]
            for r in rs]
    return table(["mode", "gradients MiB", "compute s", "backward then all-reduce s", "bucketed s",
                  "communication hidden", "speed-up"], rows)


def scaling(rs):
    base = next((r for r in rs if r["ranks"] == 1), rs[0])
    rows = []
    for r in rs:
        s = r["tokens_per_s"] / base["tokens_per_s"]
        rows.append([r["ranks"], r["threads_per_rank"], fmt(r["tokens_per_s"], 0), fmt(r["ms_per_step"], 0),
                     fmt(r["ms_comm_exposed"]), fmt(s, 2), f"{100 * s / (r['ranks'] / base['ranks']):.0f}%"])
    return (table(["ranks", "threads/rank", "tokens/s", "ms/step", "exposed comm ms", "speed-up", "efficiency"], rows) +
            "\n\nlaunch/scaling.sh, configs/train/cpu_small.yaml on synthetic tokens; threads per rank = cores / ranks.")


def paired_ab(rs):
    rows = []
    for r in rs:
        ups = r.get("speedups") or []
        digits = 3 if r["unit"] == "s/step" else 1
        rows.append([r["measure"], r["unit"], r.get("baseline_git"), fmt(r.get("baseline_median"), digits),
                     r.get("current_git"), fmt(r.get("current_median"), digits),
                     f"**{fmt(r.get('speedup_geomean'), 2)}x**", f"{fmt(min(ups), 2)}-{fmt(max(ups), 2)}" if ups else "",
                     r.get("pairs")])
    r0 = rs[0]
    return (table(["measure", "unit", "baseline", "median", "current", "median", "speed-up (geometric mean)",
                   "pairs range", "pairs"], rows) +
            "\n\nbenchmarks/model/paired_ab.py: both builds at the same time, one per core, then cores swapped; one "
            f"thread each; speed-up > 1: the current build is faster. Rows with the same revision on both sides are an A/A "
            f"run: how far the ratios scatter on this machine. {r0.get('cpu')} ({r0.get('cpu_flags')}).")


def learning(rs):
    def g(r, key, part="generated"):
        v = r.get(key) or {}
        return v.get(part) if isinstance(v, dict) else None

    rows = []
    for r in rs:
        rows.append([r["corpus"], "yes" if r["transpose"] else "no", r["variant"], r.get("steps"),
                     f"**{fmt(g(r, 'root_agreement'), 2)}** ({fmt(g(r, 'root_agreement', 'reference'), 2)} / "
                     f"{fmt(g(r, 'root_agreement', 'mock'), 2)})",
                     f"{fmt(g(r, 'chord_tone_rate'), 2)} ({fmt(g(r, 'chord_tone_rate', 'reference'), 2)})",
                     fmt(g(r, 'bars_filled'), 2), fmt((r.get("key_top1") or {}).get("generated"), 2),
                     fmt(r.get("valid_loss"), 3), fmt(r.get("train_s"), 0), (r.get("git") or "")[:7],
                     (r.get("machine") or {}).get("cpu", "")])
    return (table(["corpus", "transposed", "alignment", "steps", "root agreement (reference / mock)",
                   "chord tones (reference)", "bars filled", "key top-1", "best valid loss", "train s", "git", "CPU"],
                  rows) +
            "\n\nbenchmarks/learning/learning.py: configs/train/cpu_small.yaml on 2 ranks with each "
            "model.bar_alignment variant, bass parts generated with top-k 3 for held-out validation pairs, "
            "measured by accompanist evaluate (docs/evaluation.md). Rows in the order they were run, each with "
            "cpu_small.yaml as it was at its revision (chord conditioning and max_len 768 from 63f5b3a on).")


def learning_compute(rs):
    def g(r, key, part="generated"):
        v = r.get(key) or {}
        return v.get(part) if isinstance(v, dict) else None

    rows = [[r["size"], fmt((r.get("parameters") or 0) / 1e6, 2), r["step"], fmt(r.get("cpu_s"), 0), r["eval_set"],
             f"**{fmt(g(r, 'root_agreement'), 2)}** ({fmt(g(r, 'root_agreement', 'reference'), 2)})",
             f"{fmt(g(r, 'notes_per_bar'), 2)} ({fmt(g(r, 'notes_per_bar', 'reference'), 2)})",
             fmt(r.get("valid_loss"), 3)] for r in rs]
    return (table(["size", "M params", "steps", "CPU-s", "eval set", "root agreement (reference)",
                   "notes per bar (reference)", "valid loss"], rows) +
            "\n\nbenchmarks/learning/compute.py: configs/train/cpu_small.yaml at each size, pretrained on MMA songs "
            "on 2 ranks; CPU-s = steps x seconds per step (measured back to back) x ranks; 20 bass parts per row.")


def step_profile(rs):
    names = ["matrix products", "attention softmax/dropout", "outside ops", "elementwise and other", "dtype casts",
             "optimizer", "backward bookkeeping", "layer norm", "loss", "embedding", "clip"]
    rows = []
    for r in rs:
        ph = r.get("phases_ms") or {}
        share = r.get("category_share") or {}
        rows.append([r.get("model", "?").split("/")[-1], r["precision"], f"{r['len']} / {r.get('target_len', r['len'])}",
                     r["batch"], fmt(r["step_ms"]), fmt(ph.get("forward")), fmt(ph.get("backward")),
                     fmt(ph.get("optimizer")), fmt(r.get("page_faults_per_step"), 0)] +
                    [f"{100 * share.get(n, 0):.0f}%" for n in names])
    r0 = rs[0]
    return (table(["model", "precision", "source / target", "batch", "step ms", "forward", "backward", "Adam",
                   "page faults"] + names, rows) +
            f"\n\n`bench_model profile` (benchmarks/model/step_profile.h), {r0.get('threads')} thread, git "
            f"{r0.get('git')}, {r0.get('cpu')} ({r0.get('cpu_flags')}), {r0.get('heap')}. Milliseconds: the "
            "trainer's step phase by phase without the profiler. Shares: op self time under LibTorch's profiler "
            "(which slows small ops, so the shares of cheap ops are too high); \"outside ops\" is time in no op, "
            "e.g. the fused attention's own row kernels in forward.")


def trainer_throughput(rs):
    import statistics
    by = {}
    for r in rs:  # one group per (precision, variant); ratios within a precision
        by.setdefault((r.get("precision"), r["variant"]), []).append(r)
    rows = []
    for (precision, v), runs in by.items():
        base_key = (precision, "baseline") if (precision, "baseline") in by else (precision, "current")
        base = statistics.median(r["tokens_per_s"] for r in by[base_key])
        tps = statistics.median(r["tokens_per_s"] for r in runs)
        rows.append([precision, v, runs[0]["git"], len(runs), runs[0]["steps"], fmt(tps, 0),
                     fmt(statistics.median(r["s_per_step"] for r in runs), 3),
                     fmt(statistics.median(r["ms_compute_median"] for r in runs)),
                     fmt(statistics.median(r["ms_comm_median"] for r in runs)), f"**{tps / base:.2f}x** ({base_key[1]})"])
    r0 = rs[0]
    return (table(["precision", "variant", "git", "runs", "steps", "tokens/s (median)", "s/step", "compute ms",
                   "exposed comm ms", "vs"], rows) +
            f"\n\nbenchmarks/model/trainer_throughput.py: configs/train/cpu_small.yaml (the quickstart's "
            f"pretraining) on the MMA corpus, {r0['ranks']} ranks x 1 thread, steps 20 on measured, variants "
            f"alternating; {r0.get('cpu')} ({r0.get('cpu_flags')}). pad 1 = data.pad_to_multiple 1; glibc heap = "
            "ACCOMPANIST_HEAP=default; fp32 rows: ACCOMPANIST_NATIVE_BF16=0, as on a CPU without native bf16.")


SECTIONS = [
    ("Corpus preparation vs Python", lambda k: k == "data.prep_throughput", prep),
    ("Tokenizer vs Python", lambda k: k == "tokenizer_encode", tokenizer),
    ("Training step, Table 1 model", lambda k: k == "model_train_step", model_train),
    ("Training step vs the Python reference model", lambda k: k == "model_train_step_vs_python", model_vs_python),
    ("Where a training step's time goes", lambda k: k == "model_step_profile", step_profile),
    ("Trainer throughput, the quickstart's configuration", lambda k: k == "trainer_throughput", trainer_throughput),
    ("Generation with the key/value cache, Table 1 model", lambda k: k == "model_generate", model_generate),
    ("Batched generation with and without the cache", lambda k: k == "generate", generate),
    ("Evaluation", lambda k: k in ("levenshtein_random_pairs", "evaluate_samples"), evaluation),
    ("All-reduce vs raw MPI", lambda k: k == "dist.allreduce", allreduce),
    ("Communication hidden behind backward", lambda k: k == "dist.overlap", overlap),
    ("Trainer scaling, 1 -> 2 ranks", lambda k: k == "trainer_scaling", scaling),
    ("Before and after a change, side by side", lambda k: k == "paired_ab", paired_ab),
    ("Learning: following the accompanied part", lambda k: k == "learning", learning),
    ("Learning: which model size, per CPU-second", lambda k: k == "learning-compute", learning_compute),
]


def main():
    if len(sys.argv) != 2:
        print("usage: results_table.py RESULTS.jsonl", file=sys.stderr)
        return 2
    try:
        records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    except (OSError, ValueError) as e:
        print(f"error: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    suite = next((r for r in records if kind(r) == "run_all"), {})
    machine = next((r for r in records if isinstance(r.get("cpu"), str) and "cores" in r), {})
    print("# Benchmark results\n")
    print(f"Generated by `benchmarks/run_all.sh` (then `benchmarks/results_table.py {sys.argv[1].split('/')[-1]}`); "
          "do not edit by hand.\n")
    print(f"- git {suite.get('git', 'n/a')}, host {suite.get('host', 'n/a')}, CPU {machine.get('cpu', 'n/a')}, "
          f"{machine.get('cores', 'n/a')} cores")
    print(f"- whole suite: {fmt(suite.get('wall_s'))} s" + (" (**--quick**: reduced sizes)" if suite.get("quick") else ""))
    sections = {r["section"]: r["wall_s"] for r in records if kind(r) == "run_all.section"}
    print("- per section (s): " + ", ".join(f"{k} {v}" for k, v in sections.items()))
    for title, match, render in SECTIONS:
        rs = [r for r in records if match(kind(r))]
        if rs:
            print(f"\n## {title}\n\n{render(rs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
