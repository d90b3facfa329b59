#!/usr/bin/python3
"""Plots of an accompanist evaluation (thesis Figs. 10-11 and 14-17).

Called by `accompanist evaluate` (run it with Debian's /usr/bin/python3, which
has matplotlib); it can also be run by hand on an existing report:

    /usr/bin/python3 scripts/plot_evaluation.py --report OUT/report.json \
        --plot-data OUT/plot_data.json --out OUT/plots

Writes position_hist, key_topk, token_hist, notes_per_bar, harmony and piano_rolls as
PNG and SVG. The numbers all come from report.json; nothing is recomputed.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402


def save(fig, out, name):
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def position_hist(report, out):
    hist = report["rhythm"]["position_hist"]
    sets = [s for s in ("validation", "generated", "mock") if s in hist]
    fig, axes = plt.subplots(len(sets), 1, figsize=(8, 2.4 * len(sets)), sharex=True, sharey=True)
    if len(sets) == 1:
        axes = [axes]
    for ax, name in zip(axes, sets):
        ax.bar(range(32), hist[name], color={"validation": "C0", "generated": "C1", "mock": "C2"}[name])
        ax.set_title(f"{name} (onsets per bar at each position)")
        ax.set_ylabel("onsets / bar")
    axes[-1].set_xlabel("position in the bar (32 per 4/4 bar)")
    axes[-1].set_xticks(range(0, 32, 4))
    save(fig, out, "position_hist")


def key_topk(report, out):
    topk = report["key"]["topk_match"]
    ks = list(range(1, 25))
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = {"generated": "generated", "shuffled": "shuffled (random pairing)",
              "random_order": "random key order", "source": "source part"}
    for name, label in labels.items():
        if name in topk:
            style = "-o" if name == "generated" else "--"
            ax.plot(ks, topk[name], style, label=label, markersize=3)
    ax.set_xlabel("k (top-k keys of the generated part)")
    ax.set_ylabel("fraction with the reference key")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(1, 25, 2))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"Krumhansl-Schmuckler key match ({report['key'].get('samples', '?')} samples)")
    save(fig, out, "key_topk")


def token_hist(report, out):
    hists = report.get("token_histograms", {})
    sets = [s for s in ("validation", "generated") if s in hists]
    if not sets:
        return
    fig, axes = plt.subplots(len(sets), 2, figsize=(12, 2.8 * len(sets)), squeeze=False)
    for row, name in enumerate(sets):
        h = hists[name]
        for col, (key, title) in enumerate((("base_counts", "before BPE"), ("bpe_counts", "after BPE"))):
            counts = h.get(key, [])
            # One filled step line: hundreds of bar patches are slow to draw.
            axes[row][col].stairs(counts, range(len(counts) + 1), fill=True)
            axes[row][col].set_title(f"{name}: {title} ({sum(counts)} tokens)")
            axes[row][col].set_xlabel("token id")
    fig.subplots_adjust(hspace=0.45)
    save(fig, out, "token_hist")


def notes_per_bar(report, out):
    hist = report["rhythm"].get("notes_per_bar_hist", {})
    if not hist:
        return
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / max(len(hist), 1)
    for i, (name, values) in enumerate(hist.items()):
        ax.bar([x + i * width for x in range(len(values))], values, width=width, label=name)
    ax.set_xlabel("notes in a bar (last bin: that many or more)")
    ax.set_ylabel("fraction of bars")
    ax.legend()
    save(fig, out, "notes_per_bar")


def harmony(report, out):
    h = report.get("harmony")
    if not h:
        return
    sets = ("generated", "reference", "mock", "shuffled")
    measures = (("root_agreement", "root agreement"), ("chord_tone_rate", "chord-tone rate"),
                ("bars_filled", "bars filled / reference"))
    fig, (ax, hist) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(sets)
    for i, name in enumerate(sets):
        values = [h[key].get(name) for key, _ in measures]
        xs = [m + i * width for m in range(len(measures))]
        ax.bar(xs, [v if v is not None else 0 for v in values], width=width, label=name)
    ax.set_xticks([m + 0.4 - width / 2 for m in range(len(measures))])
    ax.set_xticklabels([label for _, label in measures])
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    ax.set_title(f"harmony against the source chords ({h.get('chord_bars', '?')} bars with a chord)")
    per_sample = [s["root_agreement"] for s in h.get("per_sample", []) if s.get("root_agreement") is not None]
    hist.hist(per_sample, bins=[i / 10 for i in range(11)], color="C1")
    hist.set_xlabel("root agreement of a generated part")
    hist.set_ylabel("samples")
    hist.set_title("per sample")
    save(fig, out, "harmony")


def piano_rolls(plot_data, out):
    samples = plot_data.get("samples", [])
    if not samples:
        return
    tpq = plot_data.get("ticks_per_quarter", 384)
    bar = 4 * tpq
    fig, axes = plt.subplots(len(samples), 1, figsize=(12, 3.2 * len(samples)), squeeze=False)
    for ax, s in zip(axes[:, 0], samples):
        # Source above, generated below (its reference faint behind it).
        lanes = (("source", "C0", 1.0, 0), ("reference", "0.75", 0.6, 1), ("generated", "C3", 1.0, 1))
        pitches = [n[0] for part in ("source", "reference", "generated") for n in s[part]]
        span = (max(pitches) - min(pitches) + 4) if pitches else 24
        for part, color, alpha, lane in lanes:
            offset = 0 if lane == 1 else span
            # All notes of a part as one collection of rectangles (fast).
            boxes = []
            for pitch, start, end in s[part]:
                x0, x1 = start / bar, max(end, start + 1) / bar
                y0, y1 = pitch + offset - 0.4, pitch + offset + 0.4
                boxes.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
            if boxes:
                ax.add_collection(PolyCollection(boxes, facecolors=color, edgecolors="none", alpha=alpha))
        if pitches:
            ax.set_ylim(min(pitches) - 2, max(pitches) + span + 2)
        ax.axhline((min(pitches) if pitches else 0) + span - 2, color="k", lw=0.5)
        ax.set_title(f"sample {s['index']}: source (top), generated (bottom, red) over the reference (grey)")
        ax.set_xlim(0, max(s.get("bars", 1), 1))
        ax.set_xlabel("bar")
        ax.set_yticks([])
    fig.subplots_adjust(hspace=0.5)
    save(fig, out, "piano_rolls")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", required=True)
    parser.add_argument("--plot-data")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.report) as f:
        report = json.load(f)
    plot_data = {}
    if args.plot_data and os.path.exists(args.plot_data):
        with open(args.plot_data) as f:
            plot_data = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    position_hist(report, args.out)
    key_topk(report, args.out)
    token_hist(report, args.out)
    notes_per_bar(report, args.out)
    harmony(report, args.out)
    piano_rolls(plot_data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
