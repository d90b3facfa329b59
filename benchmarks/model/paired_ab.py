#!/usr/bin/python3
"""Two builds side by side: the Table 1 training step and generation, before and after a change.

  /usr/bin/python3 benchmarks/model/paired_ab.py --baseline-build DIR [--build build] [--rounds 3] \\
      [--only train,generate,model_generate] >> benchmarks/results.jsonl

Each round runs every benchmark twice: the baseline build's binary and the
current one at the same time, each pinned to one core (taskset), then with the
cores swapped. A machine whose speed drifts, or whose cores differ, then hits
both builds alike, and every pair gives one ratio. One JSON line per measure
(bench "paired_ab"): both builds' values, the paired speed-ups (> 1: the
current build is faster) and their geometric mean, both git revisions and the
machine. Giving the current build as the baseline (an A/A run) shows how far
the ratios scatter on this machine. Needs 2 cores and one thread per run.

The benchmarks (one thread each, as in benchmarks/run_all.sh):
  train           bench_model train, Table 1 model, L 512 x 4, fp32 and bf16: s/step
  generate        bench_generate, d 128, source 256, 256 tokens, batch 1 and 16, cached and recomputed: tokens/s
  model_generate  bench_model generate, Table 1 model, source 600, 600 tokens, fp32, cached: tokens/s
A baseline build needs bench_model and bench_generate (e.g. a worktree of the
older revision: cmake --build DIR --target bench_model bench_generate).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "common"))
from bench_machine import machine  # noqa: E402

# name -> (binary, arguments, measures of one output line: [(measure, unit, value, higher is better)])
BENCHMARKS = {
    "train": ("bench_model", ["train", "--lengths", "512", "--tokens", "2048", "--steps", "3", "--threads", "1",
                              "--precisions", "fp32,bf16"],
              lambda r: [(f"training step L {r['len']} x {r['batch']}, {r['precision']}", "s/step", r["step_s"],
                          False)] if r.get("bench") == "model_train_step" else []),
    "generate": ("bench_generate", ["--threads", "1", "--tokens", "256", "--source-len", "256", "--repeats", "1"],
                 lambda r: [(f"Generator batch {r['batch']}, {'cached' if r['cache'] else 'recomputed'}", "tokens/s",
                             r["tokens_per_s"], True)] if r.get("bench") == "generate" else []),
    "model_generate": ("bench_model", ["generate", "--source-len", "600", "--gen", "600", "--threads", "1",
                                       "--precisions", "fp32"],
                       lambda r: [(f"decoding {r['source_len']} + {r['generated']}, {r['precision']}, cached",
                                   "tokens/s", r["cached_tokens_per_s"], True)] if r.get("bench") == "model_generate"
                       else []),
}


def fail(what, why):
    print(f"error: {what}: {why}", file=sys.stderr)
    sys.exit(1)


def start(build, bench, core, out):
    binary, argv, _ = BENCHMARKS[bench]
    path = os.path.join(build, "bin", binary)
    if not os.access(path, os.X_OK):
        fail(build, f"no {binary} in {build}/bin (build it: cmake --build {build} --target {binary})")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen(["taskset", "-c", str(core), path] + argv, stdout=out, stderr=subprocess.DEVNULL,
                            env=env, cwd=ROOT)


def measures(bench, text, who):
    """{measure: (unit, value, higher is better)} and the build's git revision from one run's output."""
    found, git = {}, "unknown"
    for line in text.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        git = r.get("git", git)
        for name, unit, value, higher in BENCHMARKS[bench][2](r):
            found[name] = (unit, value, higher)
    if not found:
        fail(who, f"{bench} printed no result")
    return found, git


def pair(baseline, current, bench, slot):
    """Runs both builds at once, baseline on core `slot`, current on the other."""
    with tempfile.TemporaryFile("w+") as fb, tempfile.TemporaryFile("w+") as fc:
        procs = [start(baseline, bench, slot, fb), start(current, bench, 1 - slot, fc)]
        for p, who in zip(procs, ("baseline", "current")):
            if p.wait() != 0:
                fail(who, f"{bench} exited {p.returncode}")
        fb.seek(0)
        fc.seek(0)
        return measures(bench, fb.read(), "baseline"), measures(bench, fc.read(), "current")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline-build", required=True, help="build directory of the baseline (e.g. an older revision)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="the current build (default: build)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; each runs every pair twice, cores swapped")
    ap.add_argument("--only", default=",".join(BENCHMARKS), help="benchmarks to run: " + ",".join(BENCHMARKS))
    args = ap.parse_args()
    benches = [b for b in args.only.split(",") if b]
    for b in benches:
        if b not in BENCHMARKS:
            fail("--only", f"'{b}' is not one of {','.join(BENCHMARKS)}")
    if args.rounds < 1:
        fail("--rounds", "must be at least 1")
    if (os.cpu_count() or 1) < 2:
        fail("machine", "side-by-side runs need 2 cores")

    values = {}  # measure -> {"unit", "higher", "baseline": [], "current": []}
    gits = {}
    for rnd in range(args.rounds):
        for bench in benches:
            for slot in (0, 1):
                (b, gb), (c, gc) = pair(args.baseline_build, args.build, bench, slot)
                gits = {"baseline": gb, "current": gc}
                for name in b.keys() & c.keys():
                    v = values.setdefault(name, {"unit": b[name][0], "higher": b[name][2], "baseline": [],
                                                 "current": []})
                    v["baseline"].append(b[name][1])
                    v["current"].append(c[name][1])
                print(f"round {rnd + 1}/{args.rounds}: {bench}, baseline on core {slot}", file=sys.stderr)

    m = machine()
    for name, v in values.items():
        # Speed-up of each pair: rates current/baseline, times baseline/current.
        ups = [(c / b if v["higher"] else b / c) for b, c in zip(v["baseline"], v["current"]) if b > 0 and c > 0]
        print(json.dumps({
            "bench": "paired_ab", "measure": name, "unit": v["unit"], "higher_is_better": v["higher"],
            "baseline_git": gits.get("baseline"), "current_git": gits.get("current"), "pairs": len(ups),
            "baseline": v["baseline"], "current": v["current"], "speedups": ups,
            "speedup_geomean": math.exp(statistics.fmean(math.log(u) for u in ups)) if ups else None,
            "baseline_median": statistics.median(v["baseline"]), "current_median": statistics.median(v["current"]),
            **m}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
