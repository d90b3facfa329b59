#!/usr/bin/python3
"""Token histograms of a prep corpus (thesis Fig. 10-11): base REMI ids by
type and the most frequent BPE ids, source and target parts, from the
"token_histogram" section of prep_report.json.

Usage: /usr/bin/python3 scripts/plot_token_histogram.py prep_report.json out.png
`accompanist prep` runs it after writing the report. Exit status 3 when
matplotlib is missing (prep then skips the plot with a warning).
"""
import json
import sys

TYPES = [("Bar", 4, 5), ("Pitch", 5, 93), ("Velocity", 93, 101), ("Duration", 101, 165), ("Position", 165, 197)]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"plot_token_histogram: {e}", file=sys.stderr)
        return 3
    with open(argv[0]) as f:
        report = json.load(f)
    hist = report["token_histogram"]
    sides = [s for s in ("source", "target") if s in hist]
    direction = report.get("direction", "source->target").split("->")
    fig, axes = plt.subplots(len(sides), 2, figsize=(13, 3.6 * len(sides)), squeeze=False)
    for row, side in enumerate(sides):
        h = hist[side]
        name = direction[0] if side == "source" else direction[-1]
        base = h["base_counts"]
        ax = axes[row][0]
        for label, lo, hi in TYPES:
            ax.bar(range(lo, hi), base[lo:hi], width=1.0, label=label)
        ax.set_title(f"{name} ({side}): base REMI ids, {h['base_tokens']:,} tokens", fontsize=10)
        ax.set_xlabel("token id")
        ax.set_ylabel("count")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        bpe = h["bpe_counts"]
        top = sorted(range(len(bpe)), key=lambda i: -bpe[i])[:40]
        ax = axes[row][1]
        ax.bar(range(len(top)), [bpe[i] for i in top], color=["C0" if i < 197 else "C3" for i in top])
        ax.set_xticks(range(len(top)))
        ax.set_xticklabels([str(i) for i in top], rotation=90, fontsize=6)
        ax.set_title(f"{name}: top 40 ids after BPE (red: merges), {h['bpe_tokens']:,} tokens, "
                     f"x{h['compression']:.2f}", fontsize=10)
        ax.set_ylabel("count")
    fig.tight_layout()
    fig.savefig(argv[1], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
