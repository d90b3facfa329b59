#!/usr/bin/python3
"""Which model size learns harmony fastest on 2 CPU cores? (issue 20, item 4)

Pretrains each model size of SIZES on the MMA corpus (configs/train/cpu_small.yaml
with the size's --set keys: bar alignment and chord conditioning on, as in the
quickstart) for --steps steps, keeping a checkpoint every --every steps. Each
checkpoint generates bass parts for held-out songs (the MMA validation songs and
the Debian validation songs) and `accompanist evaluate` scores them. One JSON
line per (size, step, evaluation set): root agreement, chord-tone rate, bars
filled, notes per onset and per bar (each beside the reference bass), the
validation loss at that step, the parameter count, and the training
CPU-seconds to that step: cpu_s = steps x step_s x ranks (one thread per rank),
with step_s measured for every size back to back in short runs before the long
ones, so that other work on the machine during the long runs does not skew the
comparison (their own wall time is train_wall_s).

  /usr/bin/python3 benchmarks/learning/compute.py [--build build] [--work DIR]
      [--sizes a,b] [--steps N] [--every N] [--samples N] [--reuse] [--quick] > compute.jsonl
  /usr/bin/python3 benchmarks/learning/compute.py --plot compute.jsonl --out compute.png

Corpora as in real_songs.py (rendered and prepped into WORK; --reuse keeps them
and complete runs). The figures of docs/model.md ("Compute: which size") were
made this way.
"""
import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learning import fail, git_revision, machine, run  # noqa: E402
import real_songs  # noqa: E402

ROOT = real_songs.ROOT

# name -> --set keys over cpu_small.yaml (d_model, layers and feed-forward width).
SIZES = {
    "narrow": ["model.d_model=64", "model.ff=128", "model.heads=4"],
    "cpu_small": [],
    "wide": ["model.d_model=256", "model.ff=512", "model.heads=4"],
    "deep": ["model.enc_layers=4", "model.dec_layers=4"],
}


def train(args, name, corpus):
    """Pretrains (or reuses) one size; returns the run dir."""
    run_dir = os.path.join(args.work, "runs", f"size-{name}")
    last = os.path.join(run_dir, "checkpoints", f"step-{args.steps:08d}", "COMPLETE")
    if args.reuse and os.path.isfile(last):
        return run_dir
    shutil.rmtree(run_dir, ignore_errors=True)
    sets = [f"data.corpus={corpus}", f"train.max_steps={args.steps}", "train.sample_every=0",
            f"train.checkpoint_every={args.every}", f"train.valid_every={args.every}",
            f"train.keep_last={args.steps // args.every + 1}", "train.threads=1"] + SIZES[name]
    cmd = [os.path.join(ROOT, "launch/local.sh"), str(args.ranks), os.path.join(ROOT, "configs/train/cpu_small.yaml"),
           run_dir]
    for s in sets:
        cmd += ["--set", s]
    run(cmd, os.path.join(args.work, f"size-{name}.log"))
    return run_dir


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


def time_at(rows, step):
    """Training wall seconds when step `step` was logged (the last train line at or before it)."""
    ts = [r["time_s"] for r in rows if r.get("split") == "train" and r["step"] <= step and "time_s" in r]
    return max(ts) if ts else None


def loss_at(rows, step):
    for r in rows:
        if r.get("split") == "valid" and r["step"] == step:
            return r["loss"]
    return None


def parameters(run_dir):
    try:
        with open(os.path.join(run_dir, "run.json")) as f:
            return json.load(f).get("parameters")
    except (OSError, ValueError):
        return None


def evaluate(args, name, run_dir, corpus, checkpoint):
    """real_songs.evaluate of a checkpoint; with --reuse an existing report is read back."""
    report = os.path.join(args.work, "reports", f"{name}-valid", "report.json")
    if args.reuse and os.path.isfile(report):
        with open(report) as f:
            return json.load(f)
    return real_songs.evaluate(args, name, run_dir, corpus, "valid", checkpoint=checkpoint)


def measure(args, data):
    step_s = time_sizes(args, data["mma"])
    for name in args.sizes:
        run_dir = train(args, name, data["mma"])
        rows = metrics(run_dir)
        for step in range(args.every, args.steps + 1, args.every):
            ckpt = os.path.join(run_dir, "checkpoints", f"step-{step:08d}")
            wall = time_at(rows, step)
            for label, corpus in (("mma-valid", data["mma"]), ("debian-valid", data["debian"])):
                rep = evaluate(args, f"size-{name}-{step}-{label}", run_dir, corpus, ckpt)
                line = dict(benchmark="learning-compute", size=name, sets=SIZES[name], step=step,
                            eval_set=label, parameters=parameters(run_dir),
                            train_wall_s=wall, train_cpu_s=round(wall * args.ranks, 1) if wall else None,
                            step_s=round(step_s[name], 4), cpu_s=round(step * step_s[name] * args.ranks, 1),
                            valid_loss=loss_at(rows, step), **real_songs.measures(rep), git=git_revision(),
                            machine=machine())
                print(json.dumps(line), flush=True)


def time_sizes(args, corpus):
    """Seconds per training step of each size, measured back to back in short
    runs (steps 20 to 60 of 60, no validation or checkpoints): the compute axis
    without the noise of whatever else ran beside the long runs."""
    out = {}
    for name in args.sizes:
        run_dir = os.path.join(args.work, "runs", f"speed-{name}")
        shutil.rmtree(run_dir, ignore_errors=True)
        sets = [f"data.corpus={corpus}", "train.max_steps=60", "train.log_every=10", "train.valid_every=0",
                "train.checkpoint_every=0", "train.sample_every=0", "train.threads=1"] + SIZES[name]
        cmd = [os.path.join(ROOT, "launch/local.sh"), str(args.ranks),
               os.path.join(ROOT, "configs/train/cpu_small.yaml"), run_dir]
        for x in sets:
            cmd += ["--set", x]
        run(cmd, os.path.join(args.work, f"speed-{name}.log"))
        rows = metrics(run_dir)
        out[name] = (time_at(rows, 60) - time_at(rows, 20)) / 40
    return out


def plot(path, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [json.loads(line) for line in open(path) if line.strip()]
    sets = sorted({r["eval_set"] for r in rows})
    fig, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4), squeeze=False)
    for ax, es in zip(axes[0], sets):
        sub = [r for r in rows if r["eval_set"] == es]
        for size in dict.fromkeys(r["size"] for r in sub):
            pts = sorted((r["cpu_s"], r["root_agreement"]["generated"]) for r in sub if r["size"] == size)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=size)
        ref = [r["root_agreement"].get("reference") for r in sub if r["root_agreement"].get("reference")]
        if ref:
            ax.axhline(sum(ref) / len(ref), color="grey", linestyle="--", label="reference bass")
        ax.set_title(es)
        ax.set_xlabel("training CPU-seconds (steps x seconds per step x ranks)")
        ax.set_ylabel("root agreement")
        ax.legend()
    fig.tight_layout()
    tmp = out + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "acc_real_songs"))
    ap.add_argument("--sizes", default="narrow,cpu_small,wide")
    ap.add_argument("--mma-songs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--every", type=int, default=500, help="checkpoint (and evaluate) every N steps")
    ap.add_argument("--samples", type=int, default=20, help="generated parts per evaluation set")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="keep complete runs in WORK; generate and evaluate again")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the benchmark itself")
    ap.add_argument("--plot", metavar="JSONL", help="plot root agreement against CPU-seconds (with --out)")
    ap.add_argument("--out", default="compute.png")
    args = ap.parse_args()
    if args.plot:
        plot(args.plot, args.out)
        return 0
    args.sizes = args.sizes.split(",")
    for n in args.sizes:
        if n not in SIZES:
            fail("--sizes", f"unknown size {n} (known: {', '.join(SIZES)})")
    if args.quick:
        args.mma_songs, args.steps, args.every, args.samples = 40, 20, 10, 2
    if args.every <= 0 or args.steps % args.every:
        fail("--every", f"{args.every} must divide --steps {args.steps}")
    args.generate_args = []
    for b in ("accompanist", "accompanist-train"):
        if not os.access(real_songs.acc_bin(args, b), os.X_OK):
            fail(real_songs.acc_bin(args, b), "not built (scripts/setup.sh builds it)")
    os.makedirs(args.work, exist_ok=True)
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    t0 = time.time()
    measure(args, real_songs.corpora(args))
    print(f"compute.py: {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
