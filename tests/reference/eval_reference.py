#!/usr/bin/python3
"""Independent reference for the evaluation metrics (SPEC section 8, thesis 4.3).

Written from the SPEC and thesis text with numpy, not from the C++ code. For a
set of random note lists it computes the bar rhythm strings, notes per bar,
position histograms, Levenshtein distances of rhythm strings (plain dynamic
programming), Krumhansl-Schmuckler key correlations and rankings, the top-k key
match curve, and the extra measures (pitch range, pitch-class entropy, scale
consistency, polyphony, groove consistency, chroma agreement), and writes them
to a JSON golden file that tests/eval/reference_golden_test.cpp compares with.

Regenerate (from the repository root):
    /usr/bin/python3 tests/reference/eval_reference.py tests/eval/data/eval_golden.json
"""
import json
import sys

import numpy as np

MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
KEY_NAMES = [pc + " major" for pc in PITCH_CLASSES] + [pc + " minor" for pc in PITCH_CLASSES]


def bar_and_position(onset, tpq):
    # SPEC 4: a bar is 4 tpq ticks; position = floor(8 * (onset mod 4 tpq) / tpq).
    bar_ticks = 4 * tpq
    return onset // bar_ticks, (8 * (onset % bar_ticks)) // tpq


def rhythm_strings(notes, tpq, num_bars):
    bars = [["0"] * 32 for _ in range(num_bars)]
    for _, start, _ in notes:
        bar, pos = bar_and_position(start, tpq)
        if bar < num_bars:
            bars[bar][pos] = "1"
    return ["".join(b) for b in bars]


def notes_per_bar(notes, tpq, num_bars):
    counts = [0] * num_bars
    for _, start, _ in notes:
        bar, _ = bar_and_position(start, tpq)
        if bar < num_bars:
            counts[bar] += 1
    return counts


def position_histogram(strings):
    if not strings:
        return [0.0] * 32
    m = np.array([[c == "1" for c in s] for s in strings], dtype=float)
    return list(m.sum(axis=0) / len(strings))


def levenshtein(a, b):
    d = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    d[:, 0] = np.arange(len(a) + 1)
    d[0, :] = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return int(d[len(a), len(b)])


def pitch_class_durations(notes):
    h = np.zeros(12)
    for pitch, start, end in notes:
        if end > start:
            h[pitch % 12] += end - start
    return h


def key_correlations(h):
    if np.all(h == h[0]):
        return [0.0] * 24
    out = []
    for profile in (MAJOR, MINOR):
        for tonic in range(12):
            # np.roll(profile, tonic)[pc] = profile[(pc - tonic) mod 12]: the tonic gets profile[0].
            out.append(float(np.corrcoef(h, np.roll(profile, tonic))[0, 1]))
    return out


def key_ranking(h):
    r = np.array(key_correlations(h))
    if np.all(r == 0):
        return []
    return [KEY_NAMES[k] for k in np.argsort(-r, kind="stable")]


def topk_curve(reference_keys, rankings):
    hits = np.zeros(24)
    cases = 0
    for ref, ranking in zip(reference_keys, rankings):
        if ref is None:
            continue
        cases += 1
        for k in range(1, 25):
            if ref in ranking[:k]:
                hits[k - 1] += 1
    return list(hits / cases) if cases else [0.0] * 24


def pitch_class_entropy(notes):
    if not notes:
        return None
    counts = np.bincount([p % 12 for p, _, _ in notes], minlength=12).astype(float)
    p = counts[counts > 0] / len(notes)
    return float(-(p * np.log2(p)).sum())


def scale_consistency(notes):
    if not notes:
        return None
    pcs = np.array([p % 12 for p, _, _ in notes])
    best = 0.0
    for steps in ([0, 2, 4, 5, 7, 9, 11], [0, 2, 3, 5, 7, 8, 10]):
        for tonic in range(12):
            scale = {(tonic + s) % 12 for s in steps}
            best = max(best, float(np.mean([pc in scale for pc in pcs])))
    return best


def polyphony(notes):
    # A tick-by-tick count of sounding notes; mean over ticks where any sounds.
    spans = [(s, e) for _, s, e in notes if e > s]
    if not spans:
        return None
    end = max(e for _, e in spans)
    active = np.zeros(end, dtype=int)
    for s, e in spans:
        active[s:e] += 1
    return float(active[active > 0].mean())


def groove_consistency(strings):
    if len(strings) < 2:
        return None
    d = [sum(x != y for x, y in zip(a, b)) for a, b in zip(strings, strings[1:])]
    return float(1 - np.mean(d) / 32)


def chroma_agreement(a, b, tpq, num_bars):
    bar_ticks = 4 * tpq

    def chroma(notes):
        c = np.zeros((num_bars, 12))
        for pitch, start, end in notes:
            for t in range(max(start, 0), min(end, num_bars * bar_ticks)):
                c[t // bar_ticks, pitch % 12] += 1
        return c

    ca, cb = chroma(a), chroma(b)
    sims = []
    for x, y in zip(ca, cb):
        if x.any() and y.any():
            sims.append(float(x @ y / np.linalg.norm(x) / np.linalg.norm(y)))
    return float(np.mean(sims)) if sims else None


def random_notes(rng, tpq, num_bars, count, chord_prob):
    notes = []
    total = num_bars * 4 * tpq
    while len(notes) < count:
        start = int(rng.integers(0, total))
        length = int(rng.choice([0, tpq // 4, tpq // 2, tpq, 2 * tpq, 5 * tpq + 7]))
        pitch = int(rng.integers(28, 97))
        notes.append([pitch, start, start + length])
        if rng.random() < chord_prob:
            notes.append([pitch + int(rng.choice([3, 4, 7])), start, start + length])
    return notes


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "tests/eval/data/eval_golden.json"
    rng = np.random.default_rng(20240511)
    cases = []
    for i, tpq in enumerate([384, 384, 480, 480, 96, 100, 220, 384, 384, 960, 384, 384, 120, 120]):
        num_bars = int(rng.integers(1, 9))
        count = 0 if i == 10 else int(rng.integers(1, 40))  # case 10: silence
        notes = random_notes(rng, tpq, num_bars, count, chord_prob=0.3)
        strings = rhythm_strings(notes, tpq, num_bars)
        h = pitch_class_durations(notes)
        cases.append({
            "tpq": tpq,
            "num_bars": num_bars,
            "notes": notes,
            "rhythm_strings": strings,
            "notes_per_bar": notes_per_bar(notes, tpq, num_bars),
            "position_histogram": position_histogram(strings),
            "key_correlations": key_correlations(h),
            "key_ranking": key_ranking(h),
            "pitch_range": (max(p for p, _, _ in notes) - min(p for p, _, _ in notes)) if notes else None,
            "pitch_class_entropy": pitch_class_entropy(notes),
            "scale_consistency": scale_consistency(notes),
            "polyphony": polyphony(notes),
            "groove_consistency": groove_consistency(strings),
        })
    # Chroma agreement of each case with the next one at the same resolution.
    chroma = []
    for i in range(len(cases) - 1):
        a, b = cases[i], cases[i + 1]
        if a["tpq"] == b["tpq"]:
            bars = max(a["num_bars"], b["num_bars"])
            chroma.append({"a": i, "b": i + 1, "num_bars": bars,
                           "value": chroma_agreement(a["notes"], b["notes"], a["tpq"], bars)})
    # Levenshtein distances of rhythm strings: random ones and the cases' own.
    strings = [s for c in cases for s in c["rhythm_strings"]]
    for _ in range(40):
        density = rng.random()
        strings.append("".join("1" if rng.random() < density else "0" for _ in range(32)))
    pairs = []
    for _ in range(300):
        a, b = (strings[int(j)] for j in rng.integers(0, len(strings), 2))
        pairs.append({"a": a, "b": b, "distance": levenshtein(a, b)})
    # A top-k curve over the cases' rankings with random reference keys (some
    # missing), and the same rankings.
    rankings = [c["key_ranking"] for c in cases]
    refs = [None if rng.random() < 0.2 else KEY_NAMES[int(rng.integers(0, 24))] for _ in cases]
    refs[0] = rankings[0][0]
    refs[1] = rankings[1][2]
    golden = {
        "cases": cases,
        "chroma_agreement": chroma,
        "levenshtein": pairs,
        "topk": {"reference_keys": refs, "curve": topk_curve(refs, rankings)},
    }
    with open(out_path, "w") as f:
        json.dump(golden, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
