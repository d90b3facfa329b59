#!/usr/bin/python3
"""Training and validation loss curves from one or more run directories (thesis Figs. 12-13).

    scripts/plot_metrics.py RUN_DIR [RUN_DIR ...] [--out loss.png] [--smooth 0.9]

Each run's metrics.jsonl is read; train loss (optionally EMA-smoothed) is drawn
as a thin line and validation loss as markers, one colour per run. Uses
Debian's python3-matplotlib (Agg backend; no display needed).
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metrics(run_dir):
    path = os.path.join(run_dir, "metrics.jsonl")
    train, valid = [], []
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line of a running job
            (train if r.get("split") == "train" else valid).append((r["step"], r["loss"]))
    return train, valid


def ema(values, alpha):
    out, acc = [], None
    for v in values:
        acc = v if acc is None else alpha * acc + (1 - alpha) * v
        out.append(acc)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+")
    p.add_argument("--out", default="loss.png")
    p.add_argument("--smooth", type=float, default=0.0, help="EMA factor for the train curve (0 = none)")
    p.add_argument("--title", default="")
    args = p.parse_args()

    fig, ax = plt.subplots(figsize=(8, 5))
    for i, run in enumerate(args.runs):
        try:
            train, valid = read_metrics(run)
        except OSError as e:
            print(f"error: {run}: {e.strerror}", file=sys.stderr)
            return 1
        name = os.path.basename(os.path.normpath(run))
        color = f"C{i % 10}"
        if train:
            steps, losses = zip(*train)
            ax.plot(steps, ema(losses, args.smooth) if args.smooth else losses, color=color, lw=1, alpha=0.8,
                    label=f"{name} train")
        if valid:
            steps, losses = zip(*valid)
            ax.plot(steps, losses, color=color, marker="o", ms=4, lw=1.5, ls="--", label=f"{name} valid")
    ax.set_xlabel("step")
    ax.set_ylabel("cross entropy (nats / token)")
    ax.set_title(args.title or "training and validation loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = args.out + ".tmp.png"
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
