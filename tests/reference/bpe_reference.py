#!/usr/bin/python3
"""Independent reference for BPE over REMI ids (SPEC section 4), written from
the SPEC text: plain recounting, no incremental tricks, so it is slow but
obviously literal.

Training: every sequence is one word counted once; count every adjacent pair
(overlapping ones too), never pairs with a special token (ids 0..3); merge the
most frequent pair, ties to the smaller (a, b), left to right without overlap
in every sequence; merge i creates id 197 + i; stop at vocab_size ids or when
no pair is left.
Encoding: repeatedly merge the pair of lowest rank present, its leftmost
occurrence first.

Usage (Debian's python3):
  /usr/bin/python3 tests/reference/bpe_reference.py golden OUT.json
      -> tests/reference/golden/tokenizer/bpe_cases.json (regenerate with this)
  /usr/bin/python3 tests/reference/bpe_reference.py train IN.json OUT.json
      IN: {"vocab_size": V, "sequences": [[ids]...], "encode": [[ids]...]}
      OUT: {"merges": [[a, b]...], "encoded": [[ids]...]}
"""
import json
import os
import sys
from collections import Counter

BASE = 197
SPECIAL = 4  # ids below are never merged


def merge_word(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def train(sequences, vocab_size):
    words = [list(s) for s in sequences]
    merges = []
    while BASE + len(merges) < vocab_size:
        counts = Counter()
        for w in words:
            for a, b in zip(w, w[1:]):
                if a >= SPECIAL and b >= SPECIAL:
                    counts[(a, b)] += 1
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        new_id = BASE + len(merges)
        merges.append(pair)
        words = [merge_word(w, pair, new_id) for w in words]
    return merges, words


def encode(seq, merges):
    rank = {tuple(p): i for i, p in enumerate(merges)}
    w = list(seq)
    while True:
        best = None  # (rank, index)
        for i in range(len(w) - 1):
            r = rank.get((w[i], w[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return w
        r, i = best
        w[i:i + 2] = [BASE + r]


def decode(ids, merges):
    out = []
    for t in ids:
        out += [t] if t < BASE else decode(list(merges[t - BASE]), merges)
    return out


def golden():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np
    import remi_reference as remi

    rng = np.random.default_rng(77)

    def random_part(tpq, bars, density, lo, hi):
        n = int(bars * density)
        grid = rng.integers(0, bars * 16, n) * (tpq // 4)  # sixteenth-note onsets, like real parts
        length = rng.choice([tpq // 4, tpq // 2, tpq, 2 * tpq], n)
        pitch = rng.integers(lo, hi, n)
        vel = rng.choice([64, 80, 100], n)
        return [[int(pitch[i]), int(vel[i]), int(grid[i]), int(grid[i] + length[i])] for i in range(n)]

    def case(name, train_seqs, extra, vocab_sizes):
        runs = []
        for vocab_size in vocab_sizes:
            merges, words = train(train_seqs, vocab_size)
            enc = [encode(s, merges) for s in train_seqs + extra]
            assert enc[:len(train_seqs)] == words, "encoding the training data must give the trained words"
            assert all(decode(e, merges) == s for e, s in zip(enc, train_seqs + extra))
            runs.append(dict(vocab_size=vocab_size, merges=[list(m) for m in merges], encoded=enc))
        return dict(name=name, train=train_seqs, extra=extra, runs=runs)

    # REMI sequences of random bass- and piano-like parts.
    seqs = []
    for k in range(24):
        bass = k % 2 == 0
        notes = random_part(480, int(rng.integers(2, 8)), 6 if bass else 12, 28 if bass else 48, 52 if bass else 84)
        seqs.append(remi.encode(notes, 480))
    held_out = [remi.encode(random_part(384, 4, 10, 36, 72), 384) for _ in range(4)]
    cases = [case("random parts", seqs, held_out, (197, 198, 260, 330))]
    # Hand-made sequences for overlaps, ties, specials and early stops.
    hand = [
        ("bar runs", 210, [[4, 4, 4], [4, 4, 4, 4, 4], [4, 4, 165, 60, 96, 101, 4, 4, 4]],
         [[4] * 7, [4, 4, 4, 165, 60, 96, 101, 4]]),
        ("ties to the smaller pair", 205, [[10, 11, 20, 21, 10, 11, 20, 21], [30, 31]], [[20, 21, 10, 11, 30, 31]]),
        ("specials are never merged", 210, [[2, 2, 2, 5, 6, 0, 5, 6, 1, 1, 3, 5, 6, 2], [0, 0, 1, 1, 2, 2, 3, 3]],
         [[5, 6, 2, 5, 6, 0, 0]]),
        ("runs out of pairs", 400, [[5, 6, 7], [8]], [[5, 6, 7, 5, 6, 7, 8]]),
        ("same expansion twice", 206, [[5, 5, 5, 5, 5, 5, 5], [5, 5, 5]], [[5] * 9]),
        ("overlapping chains", 215, [[7, 8, 7, 8, 7, 8, 7], [8, 7, 8, 7, 8]], [[7, 8, 7, 8, 7, 8, 7, 8, 7, 8]]),
    ]
    for name, vocab_size, train_seqs, extra in hand:
        cases.append(case(name, train_seqs, extra, (vocab_size,)))
    return dict(cases=cases)


def main(argv):
    if len(argv) == 2 and argv[0] == "golden":
        with open(argv[1], "w") as f:
            json.dump(golden(), f, separators=(",", ":"))
            f.write("\n")
    elif len(argv) == 3 and argv[0] == "train":
        with open(argv[1]) as f:
            spec = json.load(f)
        merges, _ = train(spec["sequences"], spec["vocab_size"])
        encoded = [encode(s, merges) for s in spec.get("encode", [])]
        with open(argv[2], "w") as f:
            json.dump(dict(merges=[list(m) for m in merges], encoded=encoded), f)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
