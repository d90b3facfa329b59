#!/usr/bin/python3
"""Trainer tokens/s in the quickstart's pretraining configuration, variant against variant.

  /usr/bin/python3 benchmarks/model/trainer_throughput.py --corpus data/corpus/mma/corpus.h5 \\
      [--baseline-build DIR] [--ranks 2] [--steps 300] [--rounds 2] [--work DIR] >> benchmarks/results.jsonl

Trains configs/train/cpu_small.yaml (validation, samples and checkpoints off)
with launch/local.sh-style mpirun, once per variant and round, the variants
alternating so that a drifting machine load hits all of them alike:
  baseline       --baseline-build's accompanist-train (e.g. a build of an older revision)
  current        this checkout's build, as configured
  pad 1          current with data.pad_to_multiple=1 (every batch its own shapes)
  glibc heap     current with ACCOMPANIST_HEAP=default (util/heap.h off)
One JSON line per run (bench "trainer_throughput"): tokens/s and seconds per
step over steps 20..end (the first 20 warm up), the variant, its build's git
revision, and the machine. results_table.py gives each variant's median
against the baseline's (or the current build's when there is no baseline).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "common"))
from bench_machine import machine  # noqa: E402


def git_revision(build):
    out = subprocess.run([os.path.join(build, "bin", "accompanist-train"), "--version"], capture_output=True, text=True)
    text = out.stdout.strip()
    return text[text.find("(") + 1:text.find(")")] if "(" in text else "unknown"


def run(variant, build, config, env, sets, args, run_dir):
    cmd = [os.path.join(build, "bin", "accompanist-train"), "--config", config,
           "--run-dir", run_dir, "--set", f"data.corpus={args.corpus}", "--set", f"train.max_steps={args.steps}",
           "--set", "train.valid_every=0", "--set", "train.sample_every=0", "--set", "train.checkpoint_every=0"]
    for s in sets:
        cmd += ["--set", s]
    if args.ranks > 1:
        root = ["--allow-run-as-root"] if os.getuid() == 0 else []
        cmd = ["mpirun", "-n", str(args.ranks), "--oversubscribe", "--bind-to", "none"] + root + cmd
    log = run_dir + ".log"
    with open(log, "w") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=ROOT).returncode
    if rc != 0:
        raise SystemExit(f"error: {variant}: accompanist-train exited {rc}; see {log}")
    rows = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl"))]
    train = [r for r in rows if r.get("split") == "train"]
    first = next(r for r in train if r["step"] >= 20)
    last = train[-1]
    seconds = last["time_s"] - first["time_s"]
    steps = last["step"] - first["step"]
    # tokens/s over the measured window: each logged interval's tokens/s weighted by its duration
    window = [r for r in train if r["step"] > first["step"]]
    times = [first["time_s"]] + [r["time_s"] for r in window]
    tokens = sum(r["tokens_per_s"] * (t1 - t0) for r, t0, t1 in zip(window, times, times[1:]))
    return {"tokens_per_s": tokens / seconds, "s_per_step": seconds / steps, "steps_measured": steps,
            "ms_compute_median": statistics.median(r["ms_compute"] for r in window),
            "ms_comm_median": statistics.median(r["ms_comm"] for r in window), "precision": last.get("precision")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="the MMA corpus (quickstart step 3)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--baseline-build", default="", help="another build to compare with (e.g. an older revision)")
    ap.add_argument("--baseline-config", default="",
                    help="its cpu_small.yaml (default: configs/train/cpu_small.yaml beside the build folder)")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--variants", default="baseline,current,pad 1,glibc heap")
    ap.add_argument("--work", default="")
    args = ap.parse_args()
    if not os.path.exists(args.corpus):
        raise SystemExit(f"error: --corpus {args.corpus}: no such file (scripts/quickstart.sh preps it)")
    args.corpus = os.path.abspath(args.corpus)
    config = os.path.join(ROOT, "configs/train/cpu_small.yaml")
    base_config = args.baseline_config or os.path.join(os.path.dirname(os.path.abspath(args.baseline_build or ".")),
                                                        "configs/train/cpu_small.yaml")
    variants = {"baseline": (args.baseline_build, base_config, {}, []), "current": (args.build, config, {}, []),
                "pad 1": (args.build, config, {}, ["data.pad_to_multiple=1"]),
                "glibc heap": (args.build, config, {"ACCOMPANIST_HEAP": "default"}, [])}
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not args.baseline_build:
        chosen = [v for v in chosen if v != "baseline"]
    for v in chosen:
        if v not in variants:
            raise SystemExit(f"error: --variants: unknown variant '{v}' (known: {', '.join(variants)})")
    work = args.work or tempfile.mkdtemp(prefix="acc_throughput_")
    os.makedirs(work, exist_ok=True)
    revisions = {v: git_revision(variants[v][0]) for v in chosen}
    for v in chosen:
        if not os.path.exists(variants[v][1]):
            raise SystemExit(f"error: {v}: {variants[v][1]}: no such config (--baseline-config)")
    for r in range(args.rounds):
        for v in chosen:
            build, cfg, env, sets = variants[v]
            run_dir = os.path.join(work, f"{v.replace(' ', '_')}_{r}")
            subprocess.run(["rm", "-rf", run_dir], check=True)
            result = run(v, build, cfg, env, sets, args, run_dir)
            line = {"bench": "trainer_throughput", "variant": v, "round": r, "git": revisions[v], "ranks": args.ranks,
                    "steps": args.steps, "config": "configs/train/cpu_small.yaml", **machine(), **result}
            print(json.dumps(line), flush=True)
            print(f"{v:>11} round {r}: {result['tokens_per_s']:,.0f} tokens/s, {result['s_per_step']:.3f} s/step",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
