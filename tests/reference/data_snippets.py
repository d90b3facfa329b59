#!/usr/bin/python3
"""Independent check of a prep corpus against the MIDI files it came from
(SPEC sections 3, 4 and 9), written from the SPEC text with mido, h5py and
the REMI reference (remi_reference.py); it shares no code with the C++.

For a sample of the corpus's songs it re-reads each MIDI file with mido,
picks the source and target families (drums never count; several parts are
merged, or the one with most notes kept), cuts 96-beat windows from tick 0
(a note belongs to the window of its onset, its end is clipped to the window
end, times become relative), drops windows where a part has fewer than
min_notes notes with a pitch in [21, 108], REMI-encodes both parts, and
compares with the corpus's pairs for that song after expanding the BPE ids:
the same windows in the same order, the same base ids, and the same notes
when decoded at tpq 384. Over the whole corpus it checks the header
(format, version, tokenizer sha256), that every id is below the vocabulary
size, that no song is in two splits, and that each song is in the split its
hash gives: u = int(sha256(f"{seed}:{path}")[:8 bytes], big-endian) >> 11
/ 2**53; valid if u < valid, test if u < valid + test, else train.

Usage (Debian's python3):
  /usr/bin/python3 tests/reference/data_snippets.py CORPUS.h5 INPUT_DIR [--songs N] [--seed S]
Prints a JSON summary on stdout; exit status 0 when everything matched, 1 on
any mismatch, 2 on bad usage. Nothing to regenerate: the C++ tests run it.
"""
import argparse
import hashlib
import json
import os
import random
import sys

import h5py
import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import remi_reference as remi  # noqa: E402

SPLITS = ("train", "valid", "test")


def tolerate_bad_key_signatures():
    """Real files carry key signatures mido cannot name (mode 255, ...); they
    say nothing about notes, so decode them as C major instead of refusing
    the whole file (the C++ reader ignores them too)."""
    import mido.midifiles.meta as meta
    original = meta.MetaSpec_key_signature.decode

    def decode(self, message, data):
        try:
            original(self, message, data)
        except meta.KeySignatureError:
            message.key = "C"

    meta.MetaSpec_key_signature.decode = decode


tolerate_bad_key_signatures()


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def song_split(path, seed, valid, test):
    h = hashlib.sha256(f"{seed}:{path}".encode("utf-8")).digest()
    u = (int.from_bytes(h[:8], "big") >> 11) / 2 ** 53
    return "valid" if u < valid else "test" if u < valid + test else "train"


def expansions(merges):
    table = {i: [i] for i in range(197)}
    for k, (a, b) in enumerate(merges):
        table[197 + k] = table[a] + table[b]
    return table


def family_notes(parts, programs, merge):
    chosen = [p for p in parts if p["channel"] != 9 and p["program"] in programs and p["notes"]]
    if not chosen:
        return None
    if merge == "largest":
        best = chosen[0]
        for p in chosen[1:]:
            if len(p["notes"]) > len(best["notes"]):
                best = p
        return [list(n) for n in best["notes"]]
    notes = [list(n) for p in chosen for n in p["notes"]]
    return sorted(notes, key=lambda n: (n[2], n[0], n[3], n[1]))


def in_range(p):
    return remi.PITCH_LO <= p <= remi.PITCH_HI


def windows(src, tgt, window_ticks, cfg):
    last = max([n[2] for n in src + tgt], default=-1)
    if last < 0:
        return []
    count = last // window_ticks + 1
    cut = [([], []) for _ in range(count)]
    for side, notes in ((0, src), (1, tgt)):
        for pitch, vel, start, end in notes:
            w = start // window_ticks
            base = w * window_ticks
            cut[w][side].append([pitch, vel, start - base, min(end, base + window_ticks) - base])
    bars = cfg["window_beats"] / 4.0
    fmin, fmax = cfg["filter"]["min_notes_per_bar"], cfg["filter"]["max_notes_per_bar"]
    kept = []
    for w, (s, t) in enumerate(cut):
        ns = sum(in_range(n[0]) for n in s)
        nt = sum(in_range(n[0]) for n in t)
        if ns < cfg["min_notes"] or nt < cfg["min_notes"]:
            continue
        if any((fmin > 0 and n / bars < fmin) or (fmax > 0 and n / bars > fmax) for n in (ns, nt)):
            continue
        kept.append((w, s, t))
    return kept


def transpose(notes, shift):
    out = []
    for p, v, s, e in notes:
        if not in_range(p):
            continue
        if not in_range(p + shift):
            return None
        out.append([p + shift, v, s, e])
    return out


def expected_decoded(notes, tpq):
    """The notes REMI tokens of `notes` decode to at tpq 384 (bar/position grid)."""
    table = remi.duration_ticks_table(384)
    out = []
    for n in remi.preprocess(notes, tpq):
        bar = n["start"] // (4 * tpq)
        pos = 8 * (n["start"] - bar * 4 * tpq) // tpq
        start = bar * 4 * 384 + pos * 48
        out.append([n["pitch"], int(remi.VELOCITIES[n["vbin"]]), start, start + int(table[n["dindex"]])])
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("input_dir")
    ap.add_argument("--songs", type=int, default=40, help="songs to re-extract (0 = all)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    problems = []
    f = h5py.File(args.corpus, "r")
    attrs = {k: f.attrs[k] for k in f.attrs}
    if text(attrs.get("format", "")) != "accompanist-corpus" or int(attrs.get("version", 0)) != 1:
        problems.append("bad format/version")
    tok_json = text(attrs["tokenizer"])
    if hashlib.sha256(tok_json.encode("utf-8")).hexdigest() != text(attrs["tokenizer_sha256"]):
        problems.append("tokenizer sha256 mismatch")
    tok = json.loads(tok_json)
    vocab = tok["vocab_size"]
    expand = expansions(tok["merges"])
    cfg = yaml.safe_load(text(attrs["config"]))
    src_fam, tgt_fam = cfg["direction"].split("->")
    if text(attrs["direction"]) != cfg["direction"]:
        problems.append("direction attribute differs from the config")
    families = cfg["families"]
    songs = [text(s) for s in f["songs"][()]]

    # Whole-corpus checks.
    entries = {}  # song -> list of (split, window, source ids, target ids)
    song_split_seen = {}
    for split in SPLITS:
        g = f[split]
        st, tt = g["source_tokens"][()], g["target_tokens"][()]
        so, to = g["source_offsets"][()], g["target_offsets"][()]
        song, window = g["song"][()], g["window"][()]
        if len(st) and int(st.max()) >= vocab or len(tt) and int(tt.max()) >= vocab:
            problems.append(f"{split}: id >= vocab {vocab}")
        for i in range(len(song)):
            s = int(song[i])
            if song_split_seen.setdefault(s, split) != split:
                problems.append(f"song {songs[s]} in {song_split_seen[s]} and {split}")
            entries.setdefault(s, []).append(
                (split, int(window[i]), st[so[i]:so[i + 1]].tolist(), tt[to[i]:to[i + 1]].tolist()))
    sp = cfg["split"]
    for s, split in song_split_seen.items():
        want = song_split(songs[s], sp["seed"], sp["valid"], sp["test"])
        if want != split:
            problems.append(f"song {songs[s]} is in {split}, its hash says {want}")
    if cfg["filter"]["max_len"] > 0:
        problems.append("filter.max_len is set: pairs cannot be re-derived without BPE lengths")

    sample = list(range(len(songs)))
    if 0 < args.songs < len(sample):
        sample = sorted(random.Random(args.seed).sample(sample, args.songs))
    checked = pairs = notes_checked = 0
    mido_failed = []
    for s in sample:
        path = os.path.join(args.input_dir, songs[s])
        try:
            tpq, parts = remi.midi_parts(path)
        except Exception as e:  # mido refuses some files the C++ reader tolerates
            mido_failed.append(f"{songs[s]}: {type(e).__name__}: {e}")
            continue
        split = song_split_seen[s]
        src = family_notes(parts, families[src_fam], cfg["merge"])
        tgt = family_notes(parts, families[tgt_fam], cfg["merge"])
        if src is None or tgt is None:
            problems.append(f"{songs[s]}: in the corpus but mido finds no {src_fam if src is None else tgt_fam} part")
            continue
        shifts = [0] + (list(cfg["augment"]["transpose"] or []) if split == "train" else [])
        expected = []
        for w, ws, wt in windows(src, tgt, cfg["window_beats"] * tpq, cfg):
            for shift in shifts:
                ts, tt = (ws, wt) if shift == 0 else (transpose(ws, shift), transpose(wt, shift))
                if ts is None or tt is None:
                    continue
                expected.append((w, ts, tt))
        got = entries.get(s, [])
        if [e[0] for e in expected] != [g[1] for g in got]:
            problems.append(f"{songs[s]}: windows {[e[0] for e in expected]} expected, corpus has {[g[1] for g in got]}")
            continue
        for (w, ts, tt), (_, _, gs, gt) in zip(expected, got):
            for side, notes, ids in (("source", ts, gs), ("target", tt, gt)):
                base = [b for i in ids for b in expand[i]]
                want = remi.encode(notes, tpq)
                if base != want:
                    problems.append(f"{songs[s]} window {w} {side}: ids differ (first at "
                                    f"{next((k for k, (a, b) in enumerate(zip(base, want)) if a != b), min(len(base), len(want)))})")
                    continue
                decoded = remi.decode(base, 384)
                if decoded != expected_decoded(notes, tpq):
                    problems.append(f"{songs[s]} window {w} {side}: decoded notes differ")
                notes_checked += len(decoded)
            pairs += 1
        checked += 1

    summary = dict(songs=len(songs), songs_checked=checked, pairs_checked=pairs, notes_checked=notes_checked,
                   mido_failed=mido_failed, problems=problems[:50], problem_count=len(problems))
    print(json.dumps(summary, indent=1))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
