#!/usr/bin/python3
"""Independent reference for the harmony measures of `accompanist evaluate`
(docs/evaluation.md, "Harmony"; issue 13).

Written from the documented definitions with numpy, not from the C++ code:
chords of the source bars by cosine similarity of the bar's duration chroma
with binary chord templates (floating point, ties within a relative 1e-12),
then per bar the root agreement of the part's lowest note at its first onset,
the chord-tone share of its note time and whether it has an onset.

Cases: synthetic chord songs (numpy's seeded generator: triads and sevenths
in random inversions, several chords a bar, rests, notes across bar lines,
a bass under them) and the first 16 bars of a few Debian MIDI files read with
mido (source: the track/channel with the most notes; part: the lowest other
one). The golden file holds the notes, so the C++ test needs neither mido nor
the data.

Regenerate (from the repository root; data/debian from datasets/debian/fetch.sh):
    /usr/bin/python3 tests/reference/harmony_reference.py data/debian tests/eval/data/harmony_golden.json
"""
import collections
import json
import os
import sys

import numpy as np

NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
# (suffix, intervals) in the documented tie order.
TEMPLATES = [("", (0, 4, 7)), ("m", (0, 3, 7)), ("sus4", (0, 5, 7)), ("dim", (0, 3, 6)), ("aug", (0, 4, 8)),
             ("7", (0, 4, 7, 10)), ("maj7", (0, 4, 7, 11)), ("m7", (0, 3, 7, 10))]
DEBIAN_FILES = ["simutrans-data/03-Sunday-drivers.mid", "simutrans-data/09-Simupolitan-Swing.mid",
                "openttd-openmsx/city_blues_redfarn.mid"]
BARS = 16


def chroma(notes, tpq, num_bars):
    """[bar, pitch class] ticks sounding inside the bar."""
    bar = 4 * tpq
    c = np.zeros((num_bars, 12))
    for pitch, start, end in notes:
        for b in range(num_bars):
            overlap = min(end, (b + 1) * bar) - max(start, 0, b * bar)
            if overlap > 0:
                c[b, pitch % 12] += overlap
    return c


def match_chord(v):
    """(name, root, pitch-class set) of the best template, or None."""
    if not v.any():
        return None
    cands = []
    for q, (suffix, intervals) in enumerate(TEMPLATES):
        for root in range(12):
            t = np.zeros(12)
            for i in intervals:
                t[(root + i) % 12] = 1.0
            score = float(v @ t / (np.linalg.norm(v) * np.linalg.norm(t)))
            cands.append((score, len(intervals), q, -v[root], root, NAMES[root] + suffix,
                          {(root + i) % 12 for i in intervals}))
    best = max(c[0] for c in cands)
    tied = [c for c in cands if c[0] >= best * (1 - 1e-12)]
    c = min(tied, key=lambda c: c[1:5])
    return c[5], c[4], c[6]


def measures(source, part, tpq, num_bars):
    bar = 4 * tpq
    chords = [match_chord(v) for v in chroma(source, tpq, num_bars)]
    part_chroma = chroma(part, tpq, num_bars)
    onsets = collections.defaultdict(list)
    for pitch, start, _ in part:
        if 0 <= start < num_bars * bar:
            onsets[start // bar].append((start, pitch))
    out = {"chords": [c[0] if c else None for c in chords], "root_match": [], "root_bars": 0, "root_hits": 0,
           "chord_time": 0, "tone_time": 0, "filled_bars": len(onsets)}
    for b, c in enumerate(chords):
        if c is None or b not in onsets:
            out["root_match"].append(-1)
            continue
        first = min(onsets[b])[0]
        lowest = min(p for s, p in onsets[b] if s == first)
        hit = int(lowest % 12 == c[1])
        out["root_match"].append(hit)
        out["root_bars"] += 1
        out["root_hits"] += hit
    for b, c in enumerate(chords):
        if c is None:
            continue
        out["chord_time"] += int(part_chroma[b].sum())
        out["tone_time"] += int(sum(part_chroma[b, pc] for pc in c[2]))
    out["root_agreement"] = out["root_hits"] / out["root_bars"] if out["root_bars"] else None
    out["chord_tone_rate"] = out["tone_time"] / out["chord_time"] if out["chord_time"] else None
    return out


def synthetic_song(rng, tpq, num_bars):
    bar = 4 * tpq
    source, bass = [], []
    for b in range(num_bars):
        if rng.random() < 0.1:
            continue  # a bar without source notes
        cuts = sorted({0, bar} | set(int(x) for x in rng.choice([tpq, 2 * tpq, 3 * tpq], rng.integers(0, 3))))
        for lo, hi in zip(cuts, cuts[1:]):
            root = int(rng.integers(0, 12))
            intervals = TEMPLATES[int(rng.integers(0, len(TEMPLATES)))][1]
            pitches = sorted(48 + root + i for i in intervals)
            for _ in range(int(rng.integers(0, len(pitches)))):  # inversions
                pitches = pitches[1:] + [pitches[0] + 12]
            for p in pitches:
                source.append([p, b * bar + lo, b * bar + hi])
        if rng.random() < 0.15:
            continue  # the bass rests
        t = b * bar + int(rng.integers(0, 2)) * tpq // 2
        while t < (b + 1) * bar:
            length = int(rng.choice([tpq // 2, tpq, 2 * tpq, 5 * tpq]))  # some cross the bar line
            for _ in range(int(rng.integers(1, 3))):
                bass.append([int(rng.integers(28, 52)), t, t + length])
            t += length
    return source, bass


def read_parts(path):
    """Notes per (track, channel), FIFO note-off pairing, drums left out."""
    import mido
    f = mido.MidiFile(path)
    parts = collections.defaultdict(list)
    for ti, track in enumerate(f.tracks):
        tick = 0
        open_notes = collections.defaultdict(collections.deque)
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)].append(tick)
            elif msg.type in ("note_off", "note_on") and open_notes[(msg.channel, msg.note)]:
                start = open_notes[(msg.channel, msg.note)].popleft()
                if msg.channel != 9:
                    parts[(ti, msg.channel)].append([msg.note, start, tick])
    return f.ticks_per_beat, parts


def debian_case(path):
    tpq, parts = read_parts(path)
    end = BARS * 4 * tpq
    parts = {k: sorted(n for n in v if n[1] < end) for k, v in parts.items()}
    parts = {k: v for k, v in parts.items() if len(v) >= 8}
    source_key = max(parts, key=lambda k: (len(parts[k]), -k[0], -k[1]))
    part_key = min((k for k in parts if k != source_key), key=lambda k: (np.mean([n[0] for n in parts[k]]), k))
    return tpq, parts[source_key], parts[part_key]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: harmony_reference.py DATA_DIR OUT.json")
    data_dir, out_path = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(20261204)
    cases = []
    for i in range(6):
        tpq = [4, 384, 480][i % 3]
        source, part = synthetic_song(rng, tpq, 8)
        cases.append({"name": f"synthetic {i}", "tpq": tpq, "num_bars": 8, "source": source, "part": part})
    for rel in DEBIAN_FILES:
        tpq, source, part = debian_case(os.path.join(data_dir, rel))
        cases.append({"name": rel, "tpq": tpq, "num_bars": BARS, "source": source, "part": part})
    for c in cases:
        c.update(measures(c["source"], c["part"], c["tpq"], c["num_bars"]))
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"generator": "tests/reference/harmony_reference.py", "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, out_path)
    print(f"wrote {out_path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
