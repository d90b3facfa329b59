#!/usr/bin/python3
"""Picks the MMA grooves that render.py may use and writes datasets/mma/grooves.txt.

    datasets/mma/vet_grooves.py [--jobs J] [--out FILE] [--lib DIR]

Every groove defined in Debian mma's library (DefGroove lines under
/usr/share/mma/lib) except intros, endings and fills is rendered once on an
8-bar probe chart in C; it is kept when the MIDI file is in 4/4, its last
note starts in bar 8, and holds a piano part (GM 0-7, at least 16 notes) and a bass part
(GM 32-39, at least 8 notes), the two families of the piano->bass corpus.
Probing all ~1,200 grooves takes a few minutes, so the result is committed
instead of recomputed by every render; rerun this when Debian's mma changes.
Output lines: `<lib>/<file>:<GROOVE> <min bpm> <max bpm>`, sorted.
"""

import argparse
import concurrent.futures
import os
import re
import sys
import tempfile

import mma_common

PROBE_BARS = 8
PROBE_CHORDS = ["C", "Am7", "F", "G7", "C", "Am", "Dm7", "G"]

# Intro, ending and fill grooves last a bar or two and are not meant to be
# looped under a whole song. pflib names its fills <file>FA/FB and its ending <file>E.
NOT_A_MAIN_GROOVE = re.compile(r"INTRO|END|FILL|BREAK")

# The groove's tempo range, from words in its name: the library's docs give
# tempos for only a few grooves, and the corpus depends little on the tempo
# (prep works in beats), so a coarse rule keeps the MIDI files plausible.
SLOW_WORDS = ("BALLAD", "SLOW", "MELLOW", "LULLABY", "BOLERO", "LOVE", "SOFT")
FAST_WORDS = ("FAST", "BEBOP", "BLUEGRASS", "CHARLESTON", "DIXIE", "POLKA", "SKA", "SAMBA",
              "MERENGUE", "QUICKSTEP", "MARCH", "BROADWAY", "RAGTIME", "JIVE", "TWIST",
              "TECHNO", "TRANCE", "METAL", "PUNK", "HOUSE")


def tempo_range(name):
    upper = name.upper()
    if any(w in upper for w in SLOW_WORDS):
        return 60, 92
    if any(w in upper for w in FAST_WORDS):
        return 120, 176
    return 76, 144


def list_grooves(lib):
    """[(lib-relative file without .mma, GROOVE)] for every DefGroove, sorted."""
    grooves = []
    for root, dirs, files in os.walk(lib):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith(".mma"):
                continue
            rel = os.path.relpath(os.path.join(root, f), lib)[:-4]
            if os.sep not in rel:
                continue  # files at the library's top are includes, not grooves
            with open(os.path.join(root, f), encoding="latin-1") as src:
                for line in src:
                    m = re.match(r"\s*defgroove\s+(\S+)", line, re.IGNORECASE)
                    if m:
                        grooves.append((rel, m.group(1).upper()))
    return sorted(set(grooves))


def is_main_groove(rel, name):
    if NOT_A_MAIN_GROOVE.search(name):
        return False
    base = os.path.basename(rel).upper()
    if rel.startswith("pflib/") and name in (base + "FA", base + "FB", base + "E"):
        return False
    return True


def probe(mma, workdir, index, rel, name):
    """None when the groove qualifies, else why not."""
    chart = ["RndSeed 1", "Groove %s:%s" % (rel, name), "Tempo 120"]
    chart += ["%d %s" % (bar + 1, chord) for bar, chord in enumerate(PROBE_CHORDS)]
    data, msg = mma_common.run_mma(mma, "\n".join(chart) + "\n", "probe_%05d" % index, workdir)
    if data is None:
        return msg
    try:
        s = mma_common.midi_summary(data)
    except mma_common.MidiError as e:
        return "unreadable MIDI: %s" % e
    sigs = {(num, den) for _, num, den in s["time_signatures"]}
    if sigs != {(4, 4)}:
        return "time signature %s" % sorted(sigs)
    # Onsets, not the end: long notes may ring past the last bar, and RTime
    # may push a note of the last bar a few ticks further.
    bar = (s["last_onset"] - s["tpq"] // 2) // (4 * s["tpq"])
    if bar != PROBE_BARS - 1:
        return "last note in bar %d of 4/4, not %d" % (bar + 1, PROBE_BARS)
    piano = mma_common.family_notes(s, mma_common.PIANO)
    bass = mma_common.family_notes(s, mma_common.BASS)
    if piano < 16:
        return "no piano part (%d notes)" % piano
    if bass < 8:
        return "no bass part (%d notes)" % bass
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Vet Debian mma's grooves for render.py.")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(here, "grooves.txt"))
    ap.add_argument("--lib", default=mma_common.MMA_LIB)
    args = ap.parse_args()
    mma = mma_common.find_mma()
    if mma is None:
        print("error: vet_grooves: mma not found: apt-get install mma", file=sys.stderr)
        return 1
    allg = list_grooves(args.lib)
    main_grooves = [g for g in allg if is_main_groove(*g)]
    print("vet_grooves: %d grooves, %d main grooves to probe" % (len(allg), len(main_grooves)), file=sys.stderr)
    kept, reasons = [], {}
    with tempfile.TemporaryDirectory() as work, \
            concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(probe, mma, work, i, rel, name) for i, (rel, name) in enumerate(main_grooves)]
        for k, (fut, (rel, name)) in enumerate(zip(futures, main_grooves)):
            why = fut.result()
            if why is None:
                kept.append((rel, name))
            else:
                key = re.sub(r"\(.*|\[.*|^[0-9.]+ ", "", why).strip()
                reasons[key] = reasons.get(key, 0) + 1
            if (k + 1) % 100 == 0:
                print("vet_grooves: %d/%d probed, %d kept" % (k + 1, len(main_grooves), len(kept)),
                      file=sys.stderr)
    lines = ["# Grooves of Debian's mma %s with a piano (GM 0-7) and a bass (GM 32-39) part in 4/4;"
             % mma_common.mma_version(mma),
             "# written by datasets/mma/vet_grooves.py (%d of %d grooves, %d main ones probed)."
             % (len(kept), len(allg), len(main_grooves)),
             "# <lib>/<file>:<GROOVE> <min bpm> <max bpm>"]
    lines += ["%s:%s %d %d" % (rel, name, *tempo_range(rel + name)) for rel, name in kept]
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, args.out)
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print("vet_grooves: rejected %d: %s" % (n, why), file=sys.stderr)
    print("vet_grooves: kept %d of %d main grooves -> %s" % (len(kept), len(main_grooves), args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
