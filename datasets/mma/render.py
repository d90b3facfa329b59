#!/usr/bin/python3
"""Renders random chord charts with Debian's mma into a MIDI tree for `accompanist prep`.

    datasets/mma/render.sh [--songs N] [--seed S] [--bars B] [--jobs J] [--grooves FILE] DEST

Each song: a common chord progression in a random key (12 tonics, major or
minor), chords held 1 or 2 bars, some sevenths, B bars of 4/4, played by a
random groove of datasets/mma/grooves.txt (grooves with a piano and a bass
part, see vet_grooves.py) at a random tempo in the groove's range. Layout:
DEST/<lib>/<groove file>/song_NNNNN.mid plus its chart song_NNNNN.mma,
DEST/songs.jsonl (one line per song), DEST/render.json (parameters, versions,
failures) and DEST/.complete.

Everything is a function of (seed, song index): our choices come from a
splitmix64 stream seeded from sha256("<seed>:<index>"), and mma's own
randomness (RTime, RSkip, RVolume, voicings) from the RndSeed line in each
chart, so a seed gives byte-identical files with the same mma and python3.
Work happens in DEST.partial (a rerun with the same arguments resumes it),
renamed onto DEST at the end; a song mma fails on is skipped and counted.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import time

import mma_common

FORMAT = 1  # bump when the same arguments would give different songs
MIN_BARS, MAX_BARS = 24, 500  # 500: mma's default Maxbars
MASK64 = (1 << 64) - 1


class UsageError(Exception):
    pass


class SplitMix64:
    """Our own generator, so the songs never depend on Python's random module."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n  # bias < n / 2^64: irrelevant here

    def uniform(self):
        return (self.next() >> 11) / float(1 << 53)

    def choice(self, items):
        return items[self.below(len(items))]


# Progressions in Roman numerals relative to the major scale of the tonic
# (minor keys write bIII, bVI, bVII). Upper case = major triad, lower case =
# minor, "o" = diminished; a trailing "7" is part of the progression (the
# blues, ii-V-I). `per_bar`: one chord a bar as written (the 12-bar forms),
# never held for 2 bars.
PROGRESSIONS = [
    # name, mode, chords, per_bar
    ("I-V-vi-IV", "major", "I V vi IV", False),
    ("vi-IV-I-V", "major", "vi IV I V", False),
    ("I-vi-IV-V", "major", "I vi IV V", False),
    ("I-vi-ii-V", "major", "I vi ii V", False),
    ("ii-V-I", "major", "ii7 V7 IM7 IM7", False),
    ("I-IV-V-IV", "major", "I IV V IV", False),
    ("I-IV-I-V", "major", "I IV I V", False),
    ("I-bVII-IV-I", "major", "I bVII IV I", False),
    ("circle of fifths", "major", "I IV viio iii vi ii V I", False),
    ("canon", "major", "I V vi iii IV I IV V", False),
    ("12-bar blues", "major", "I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7", True),
    ("i-VI-III-VII", "minor", "i bVI bIII bVII", False),
    ("i-iv-v", "minor", "i iv v i", False),
    ("i-iv-V", "minor", "i iv V i", False),
    ("Andalusian", "minor", "i bVII bVI V", False),
    ("i-VII-VI-VII", "minor", "i bVII bVI bVII", False),
    ("minor circle of fifths", "minor", "i iv bVII bIII bVI iio V i", False),
    ("minor blues", "minor", "i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7", True),
]

DEGREES = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
SHARPS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
FLATS = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
# Tonic spellings mma's KeySig accepts, and which keys are written with flats.
MAJOR_TONICS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MINOR_TONICS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
FLAT_KEYS = {("major", t) for t in ("F", "Bb", "Eb", "Ab", "Db")} | \
            {("minor", t) for t in ("D", "G", "C", "F", "Bb", "Eb")}
SEVENTH_RATES = [0.0, 0.2, 0.5]  # per song: the chance that a triad gets its seventh


def parse_numeral(text):
    """'bVII' -> (10, 'maj', ''), 'ii7' -> (2, 'min', '7'), 'IM7' -> (0, 'maj', 'M7')."""
    shift = 0
    if text[0] in "b#":
        shift = -1 if text[0] == "b" else 1
        text = text[1:]
    n = 0
    while n < len(text) and text[n].upper() in "IV":
        n += 1
    numeral, rest = text[:n], text[n:]
    quality = "maj" if numeral.isupper() else "min"
    if rest.startswith("o"):
        quality, rest = "dim", rest[1:]
    return (DEGREES[numeral.upper()] + shift) % 12, quality, rest


def chord_name(root, quality, seventh, flats):
    """MMA chord names: C, Cm, Cdim, C7, Cmaj7, Cm7, Cm7b5."""
    name = (FLATS if flats else SHARPS)[root]
    if quality == "dim":
        return name + ("m7b5" if seventh else "dim")
    if quality == "min":
        return name + ("m7" if seventh else "m")
    if seventh == "7":
        return name + "7"
    return name + ("maj7" if seventh else "")


def song_seed(seed, index):
    return int.from_bytes(hashlib.sha256(("%d:%d" % (seed, index)).encode()).digest()[:8], "big")


def make_song(seed, index, bars, grooves):
    """The chart (MMA text) and the record of song `index`; no I/O."""
    s = song_seed(seed, index)
    rng = SplitMix64(s)
    mma_seed = s >> 33  # RndSeed takes an int; 31 bits keep it an ordinary one
    # A family first, then one of its grooves: families differ widely in how
    # many variants they define, and styles matter more than variants.
    families = sorted({g["family"] for g in grooves})
    family = rng.choice(families)
    groove = rng.choice([g for g in grooves if g["family"] == family])
    tempo = groove["min_bpm"] + rng.below(groove["max_bpm"] - groove["min_bpm"] + 1)
    mode = "major" if rng.uniform() < 0.6 else "minor"
    tonic = rng.below(12)
    tonic_name = (MAJOR_TONICS if mode == "major" else MINOR_TONICS)[tonic]
    flats = (mode, tonic_name) in FLAT_KEYS
    name, _, chords, per_bar = rng.choice([p for p in PROGRESSIONS if p[1] == mode])
    hold = 1 if per_bar else 1 + rng.below(2)
    seventh_rate = rng.choice(SEVENTH_RATES)

    cycle = []
    for numeral in chords.split():
        degree, quality, seventh = parse_numeral(numeral)
        if not seventh and rng.uniform() < seventh_rate:
            # The dominant and bVII take a dominant seventh, other major chords a major seventh.
            seventh = "7" if quality == "maj" and degree in (7, 10) else "M7"
        cycle += [chord_name((tonic + degree) % 12, quality, seventh, flats)] * hold
    per_bar_chords = [cycle[i % len(cycle)] for i in range(bars)]
    per_bar_chords[-1] = chord_name(tonic, "maj" if mode == "major" else "min", "", flats)  # end at home

    file = "%s/song_%05d.mid" % (groove["family"], index)
    chart = ["// datasets/mma/render.py: seed %d, song %d" % (seed, index),
             "RndSeed %d" % mma_seed,
             "Groove %s" % groove["name"],  # after the groove: some grooves set their own tempo
             "Tempo %d" % tempo,
             "KeySig %s %s" % (tonic_name, mode)]
    chart += ["%d %s" % (bar + 1, c) for bar, c in enumerate(per_bar_chords)]
    record = {"file": file, "chart": file[:-4] + ".mma", "index": index, "seed": mma_seed,
              "groove": groove["name"], "family": groove["family"], "tempo": tempo,
              "key": "%s %s" % (tonic_name, mode), "progression": name, "hold": hold,
              "bars": bars, "chords": per_bar_chords}
    return "\n".join(chart) + "\n", record


def read_grooves(path):
    grooves = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3 or ":" not in parts[0] or not (parts[1].isdigit() and parts[2].isdigit()) \
                    or int(parts[1]) > int(parts[2]):
                raise UsageError("%s:%d: expected '<lib>/<file>:<GROOVE> <min bpm> <max bpm>'" % (path, n))
            grooves.append({"name": parts[0], "family": parts[0].split(":")[0],
                            "min_bpm": int(parts[1]), "max_bpm": int(parts[2])})
    if not grooves:
        raise UsageError("%s: no grooves" % path)
    return grooves


def read_vetted_version(path):
    """The mma version in grooves.txt's header ("# Grooves of Debian's mma 21.09 ..."), or None."""
    with open(path) as f:
        m = re.match(r"# Grooves of Debian's mma (\S+) ", f.readline())
    return m.group(1) if m else None


def write_atomic(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def render_one(mma, partial, seed, index, bars, grooves):
    """Renders song index into partial; returns its record (with "error" when skipped)."""
    chart, record = make_song(seed, index, bars, grooves)
    data, msg = mma_common.run_mma(mma, chart, "song_%05d" % index, os.path.join(partial, ".work"))
    if data is None:
        return {"index": index, "groove": record["groove"], "error": msg}
    try:
        s = mma_common.midi_summary(data)
    except mma_common.MidiError as e:
        return {"index": index, "groove": record["groove"], "error": "unreadable MIDI: %s" % e}
    record["notes"] = {"piano": mma_common.family_notes(s, mma_common.PIANO),
                       "bass": mma_common.family_notes(s, mma_common.BASS)}
    for family, notes in record["notes"].items():
        if notes == 0:  # prep would skip the file anyway; say so here
            return {"index": index, "groove": record["groove"], "error": "no %s part" % family}
    write_atomic(os.path.join(partial, record["chart"]), chart.encode())
    write_atomic(os.path.join(partial, record["file"]), data)
    return record


def parse_args(argv):
    class Parser(argparse.ArgumentParser):
        def error(self, message):
            raise UsageError(message)

    ap = Parser(prog="render.sh", add_help=True, description="Render random chord charts with mma.")
    ap.add_argument("--songs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bars", type=int, default=48)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--grooves", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "grooves.txt"))
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    ap.add_argument("dest")
    args = ap.parse_args(argv)
    if args.songs < 1:
        raise UsageError("--songs: must be at least 1, not %d" % args.songs)
    if args.seed < 0:
        raise UsageError("--seed: must be a non-negative integer, not %d" % args.seed)
    if not MIN_BARS <= args.bars <= MAX_BARS:
        raise UsageError("--bars: must be in [%d, %d], not %d" % (MIN_BARS, MAX_BARS, args.bars))
    if args.jobs < 1:
        raise UsageError("--jobs: must be at least 1, not %d" % args.jobs)
    return args


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def run(args):
    mma = mma_common.find_mma()
    if mma is None:
        raise UsageError("mma: not installed (apt-get install mma, or scripts/setup.sh)")
    if not os.path.isfile(args.grooves):
        raise UsageError("%s: no such file" % args.grooves)
    grooves = read_grooves(args.grooves)
    with open(args.grooves, "rb") as f:
        grooves_sha = hashlib.sha256(f.read()).hexdigest()
    version = mma_common.mma_version(mma)
    vetted_with = read_vetted_version(args.grooves)
    if vetted_with and vetted_with != version:
        print("render: warning: %s was vetted with mma %s, this is mma %s (rerun vet_grooves.py)"
              % (args.grooves, vetted_with, version), file=sys.stderr)
    params = {"format": FORMAT, "songs": args.songs, "seed": args.seed, "bars": args.bars,
              "grooves_sha256": grooves_sha, "mma": version}

    dest = os.path.abspath(args.dest)
    partial = dest + ".partial"
    if os.path.exists(dest):
        done = read_json(os.path.join(dest, ".complete"))
        if done is None:
            raise UsageError("%s: exists and is not a finished render (no .complete); remove it or pick another" % dest)
        if done != params:
            raise UsageError("%s: rendered with other parameters (%s); remove it or pick another"
                             % (dest, json.dumps(done, sort_keys=True)))
        print("render: %s is complete; nothing to do" % dest)
        return 0
    if read_json(os.path.join(partial, ".params.json")) != params:
        shutil.rmtree(partial, ignore_errors=True)  # ours (DEST.partial), from other parameters
    os.makedirs(os.path.join(partial, ".records"), exist_ok=True)
    write_atomic(os.path.join(partial, ".params.json"), json.dumps(params, sort_keys=True).encode())

    def record_path(i):
        return os.path.join(partial, ".records", "%05d.json" % i)

    todo = [i for i in range(args.songs) if not os.path.exists(record_path(i))]
    if len(todo) < args.songs:
        print("render: resuming %s: %d of %d songs already done" % (partial, args.songs - len(todo), args.songs),
              file=sys.stderr)

    start, last, done_count, failed = time.time(), 0.0, 0, 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(render_one, mma, partial, args.seed, i, args.bars, grooves): i for i in todo}
        try:
            for fut in concurrent.futures.as_completed(futures):
                rec = fut.result()
                write_atomic(record_path(rec["index"]), json.dumps(rec, sort_keys=True).encode())
                done_count += 1
                failed += "error" in rec
                now = time.time()
                if not args.quiet and (now - last >= 2 or done_count == len(todo)):
                    last = now
                    rate = done_count / max(now - start, 1e-9)
                    print("render: %d/%d songs, %.1f songs/s, %d failed, ETA %.0f s"
                          % (done_count, len(todo), rate, failed, (len(todo) - done_count) / max(rate, 1e-9)),
                          file=sys.stderr, flush=True)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    elapsed = time.time() - start

    records = [read_json(record_path(i)) for i in range(args.songs)]
    if any(r is None for r in records):
        raise RuntimeError("a song's record is missing or unreadable in %s/.records" % partial)
    songs = [r for r in records if "error" not in r]
    failures = [r for r in records if "error" in r]
    if not songs:
        raise RuntimeError("mma failed on every song; first: %s" % failures[0]["error"])
    lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in songs)
    write_atomic(os.path.join(partial, "songs.jsonl"), lines.encode())
    report = dict(params, rendered=len(songs), failed=len(failures), failures=failures[:50],
                  python=sys.version.split()[0], grooves=len(grooves),
                  layout="<lib>/<groove file>/song_NNNNN.mid and .mma; songs.jsonl: one line per song")
    write_atomic(os.path.join(partial, "render.json"), (json.dumps(report, indent=1, sort_keys=True) + "\n").encode())
    shutil.rmtree(os.path.join(partial, ".records"))
    shutil.rmtree(os.path.join(partial, ".work"))
    os.remove(os.path.join(partial, ".params.json"))
    write_atomic(os.path.join(partial, ".complete"), json.dumps(params, sort_keys=True).encode())
    os.rename(partial, dest)
    for r in failures[:5]:
        print("render: skipped song %d (%s): %s" % (r["index"], r["groove"], r["error"]), file=sys.stderr)
    rate = len(todo) / max(elapsed, 1e-9)
    print("render: wrote %s: %d songs, %d skipped (mma failed), %d rendered in %.1f s (%.1f songs/s, %d jobs)"
          % (dest, len(songs), len(failures), len(todo), elapsed, rate, args.jobs))
    return 0


def on_sigterm(signum, frame):
    raise KeyboardInterrupt()


def main(argv):
    # SIGTERM like Ctrl-C: stop, keep DEST.partial for the next run to resume.
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return run(parse_args(argv))
    except UsageError as e:
        print("error: render: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: render: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except (OSError, RuntimeError) as e:
        print("error: render: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
