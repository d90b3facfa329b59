#!/usr/bin/python3
"""Independent reference for the chord conditioning signal
(tokenizer::bar_chord_ids, docs/model.md "Chord conditioning"): the chord id
of every bar of a BPE token sequence.

Composed from the other references, sharing no code with the C++: BPE ids ->
base ids (bpe_reference.decode) -> notes at tpq 384 (remi_reference.decode) ->
each bar's duration chroma and best chord template (harmony_reference, numpy,
floating point) over as many bars as the sequence has Bar tokens; the id is
0 for a bar without notes, else 1 + root * 8 + quality (quality in the
template order: major, minor, sus4, dim, aug, 7, maj7, m7).

Cases: seeded random songs (block chords, arpeggios, rests, notes across bar
lines, empty bars) encoded with remi_reference.encode at tpq 480, under BPE
merges trained on them with bpe_reference.train.

Regenerate the committed golden file (from the repository root):
    /usr/bin/python3 tests/reference/bar_chords_reference.py tests/reference/golden/tokenizer/bar_chords_cases.json
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe_reference  # noqa: E402
import harmony_reference  # noqa: E402
import remi_reference  # noqa: E402

TPQ = 480
SUFFIXES = [s for s, _ in harmony_reference.TEMPLATES]


def chord_ids(ids, merges):
    base = bpe_reference.decode(list(ids), merges)
    bars = base.count(remi_reference.ID["Bar_None"])
    notes = [(p, s, e) for p, _, s, e in remi_reference.decode(base, 384)]
    out = []
    for v in harmony_reference.chroma(notes, 384, bars):
        m = harmony_reference.match_chord(v)
        if m is None:
            out.append(0)
            continue
        name, root, _ = m
        suffix = name[len(harmony_reference.NAMES[root]):]
        out.append(1 + root * 8 + SUFFIXES.index(suffix))
    return out


def random_song(rng, bars):
    notes = []
    bar = 4 * TPQ
    for b in range(bars):
        if rng.random() < 0.15:
            continue  # an empty bar
        root = int(rng.integers(0, 12))
        _, intervals = harmony_reference.TEMPLATES[int(rng.integers(0, 8))]
        pitches = [48 + root + i for i in intervals]
        if rng.random() < 0.5:  # block chord, sometimes held over the bar line
            length = int(rng.choice([2 * TPQ, 4 * TPQ, 6 * TPQ]))
            for p in pitches:
                notes.append((p + 12 * int(rng.integers(0, 2)), 80, b * bar, b * bar + length))
        else:  # arpeggio in eighths with an extra passing tone
            for k in range(8):
                p = pitches[k % len(pitches)] if rng.random() < 0.85 else 48 + int(rng.integers(0, 24))
                notes.append((p, 64, b * bar + k * TPQ // 2, b * bar + (k + 1) * TPQ // 2))
    return notes


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: bar_chords_reference.py OUT.json")
    rng = np.random.default_rng(20)
    songs = [remi_reference.encode(random_song(rng, int(rng.integers(2, 9))), TPQ) for _ in range(24)]
    merges, _ = bpe_reference.train(songs, 260)
    cases = []
    for song in songs:
        ids = bpe_reference.encode(song, merges)
        cases.append({"ids": ids, "chords": chord_ids(ids, merges)})
    tokenizer = {"format": "accompanist-tokenizer", "version": 1, "base": "remi-miditok-2.1",
                 "vocab_size": 197 + len(merges), "merges": [list(m) for m in merges]}
    with open(argv[1], "w") as f:
        json.dump({"tokenizer": tokenizer, "cases": cases}, f)
        f.write("\n")
    print(f"{len(cases)} cases, {sum(len(c['chords']) for c in cases)} bars, {len(merges)} merges -> {argv[1]}")


if __name__ == "__main__":
    main(sys.argv)
