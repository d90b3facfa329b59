#!/usr/bin/python3
"""datasets/mma/render.sh: reproducible from the seed, piano and bass in every
song (read back by `accompanist inspect`, not by render.py's own reader),
resumable after an interruption, songs mma fails on skipped, one-line errors.

Needs Debian's mma (exit 77 = skipped without it). Environment: ACC_SOURCE_DIR,
ACC_ACCOMPANIST (the accompanist binary).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("ACC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
RENDER = os.path.join(SRC, "datasets", "mma", "render.sh")
ACC = os.environ.get("ACC_ACCOMPANIST", "")
FAILS = 0


def check(cond, what):
    global FAILS
    if not cond:
        FAILS += 1
        print("FAIL: %s" % what)


def render(dest, *args, env=None):
    return subprocess.run([RENDER, "--quiet", *args, dest], capture_output=True, text=True, env=env, timeout=120)


def tree(root):
    """Relative path -> bytes of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def fake_mma(bindir, body):
    """An `mma` first on PATH that runs `body` (bash, $chart = the chart's name), then the real one."""
    os.makedirs(bindir, exist_ok=True)
    real = shutil.which("mma")
    path = os.path.join(bindir, "mma")
    with open(path, "w") as f:
        f.write("#!/bin/bash\nchart=\"$3\"\n%s\nexec %s \"$@\"\n" % (body, real))
    os.chmod(path, 0o755)
    env = dict(os.environ)
    env["PATH"] = bindir + ":" + env["PATH"]
    return env


def inspect_families(path):
    """Notes (pitch 21..108) of the piano (GM 0-7) and bass (GM 32-39) parts, per accompanist inspect."""
    out = subprocess.run([ACC, "inspect", path], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "inspect %s: %s" % (path, out.stderr.strip()))
    notes = {"piano": 0, "bass": 0}
    for part in json.loads(out.stdout or '{"parts": []}')["parts"]:
        if part["is_drum"]:
            continue
        n = sum(1 for note in part["notes"] if 21 <= note[0] <= 108)
        if 0 <= part["program"] <= 7:
            notes["piano"] += n
        elif 32 <= part["program"] <= 39:
            notes["bass"] += n
    return notes


def main():
    if shutil.which("mma") is None:
        print("skipped: mma is not installed (apt-get install mma)")
        return 77
    tmp = tempfile.mkdtemp(prefix="mma_render_test.")
    try:
        a, b, c = (os.path.join(tmp, x) for x in "abc")
        base = ["--songs", "4", "--bars", "24"]
        r = render(a, *base, "--seed", "5")
        check(r.returncode == 0, "render a: %s" % r.stderr)
        r = render(b, *base, "--seed", "5", "--jobs", "1")
        check(r.returncode == 0, "render b: %s" % r.stderr)
        ta, tb = tree(a), tree(b)
        mids = sorted(p for p in ta if p.endswith(".mid"))
        check(len(mids) == 4, "4 MIDI files, not %d" % len(mids))
        check(ta == tb, "same seed, other job count: identical trees (differ: %s)"
              % sorted(set(ta) ^ set(tb) | {p for p in set(ta) & set(tb) if ta[p] != tb[p]}))

        r = render(c, *base, "--seed", "6")
        check(r.returncode == 0, "render c: %s" % r.stderr)
        tc = tree(c)
        check(tc["songs.jsonl"] != ta["songs.jsonl"], "another seed: other songs.jsonl")
        midi_bytes = lambda t: sorted(v for p, v in t.items() if p.endswith(".mid"))
        check(not set(midi_bytes(tc)) & set(midi_bytes(ta)), "another seed: other MIDI files")

        # songs.jsonl describes the files; the files hold what it says.
        grooves = {}
        with open(os.path.join(SRC, "datasets", "mma", "grooves.txt")) as f:
            for line in f:
                if not line.startswith("#"):
                    name, lo, hi = line.split()
                    grooves[name] = (int(lo), int(hi))
        songs = [json.loads(l) for l in ta["songs.jsonl"].decode().splitlines()]
        check(sorted(s["file"] for s in songs) == mids, "songs.jsonl lists the MIDI files")
        for s in songs:
            check(s["groove"] in grooves, "%s: groove %s is vetted" % (s["file"], s["groove"]))
            lo, hi = grooves.get(s["groove"], (0, 0))
            check(lo <= s["tempo"] <= hi, "%s: tempo %d in [%d, %d]" % (s["file"], s["tempo"], lo, hi))
            check(s["bars"] == 24 and len(s["chords"]) == 24, "%s: 24 bars, one chord each" % s["file"])
            check(s["key"].split()[1] in ("major", "minor"), "%s: key %s" % (s["file"], s["key"]))
            chart = ta[s["chart"]].decode()
            check("RndSeed %d\n" % s["seed"] in chart, "%s: the chart seeds mma with %d" % (s["file"], s["seed"]))
            check("Groove %s\n" % s["groove"] in chart and "Tempo %d\n" % s["tempo"] in chart,
                  "%s: the chart plays its groove and tempo" % s["file"])
            notes = inspect_families(os.path.join(a, s["file"]))
            check(notes["piano"] > 0 and notes["bass"] > 0, "%s: piano and bass parts: %s" % (s["file"], notes))
            check(notes == s["notes"], "%s: accompanist inspect %s == songs.jsonl %s" % (s["file"], notes, s["notes"]))

        # Idempotent: a second run does nothing.
        r = render(a, *base, "--seed", "5")
        check(r.returncode == 0 and "nothing to do" in r.stdout, "rerun: nothing to do (%s)" % r.stdout)
        check(tree(a) == ta, "rerun: files unchanged")

        # Interrupted after two songs (SIGTERM from inside the third mma run):
        # no DEST, a DEST.partial, and the rerun resumes to the same bytes.
        d = os.path.join(tmp, "d")
        mark = os.path.join(tmp, "killed")
        env = fake_mma(os.path.join(tmp, "bin-kill"),
                       '[ "$chart" = song_00002.mma ] && [ ! -e %s ] && touch %s && kill -TERM $PPID && exit 1'
                       % (mark, mark))
        r = render(d, *base, "--seed", "5", "--jobs", "1", env=env)
        check(r.returncode != 0 and r.stderr.strip().startswith("error: ") and "interrupted" in r.stderr,
              "SIGTERM: non-zero, one error line (%d, %r)" % (r.returncode, r.stderr))
        check(not os.path.exists(d) and os.path.isdir(d + ".partial"), "SIGTERM: only DEST.partial")
        r = render(d, *base, "--seed", "5", "--jobs", "1")
        check(r.returncode == 0 and "resuming" in r.stderr, "resume: %s" % r.stderr)
        check(tree(d) == ta, "resumed render is identical to the uninterrupted one")
        check(not os.path.exists(d + ".partial"), "resume: DEST.partial renamed")

        # A song mma fails on is skipped, counted and reported.
        e = os.path.join(tmp, "e")
        env = fake_mma(os.path.join(tmp, "bin-fail"),
                       '[ "$chart" = song_00001.mma ] && { echo "Error: fake failure" >&2; exit 1; }')
        r = render(e, *base, "--seed", "5", env=env)
        check(r.returncode == 0 and "1 skipped" in r.stdout and "fake failure" in r.stderr,
              "failed song: exit 0, reported (%s %s)" % (r.stdout, r.stderr))
        te = tree(e)
        report = json.loads(te["render.json"])
        check(report["failed"] == 1 and report["rendered"] == 3 and report["failures"][0]["index"] == 1,
              "render.json counts the failure: %s" % report)
        kept = [json.loads(l) for l in te["songs.jsonl"].decode().splitlines()]
        check([s["index"] for s in kept] == [0, 2, 3], "songs.jsonl skips song 1")
        check(all(te.get(s["file"]) == ta[s["file"]] for s in kept), "the other songs are unchanged")

        # Bad arguments: one line "error: ...", non-zero, nothing written.
        notours = os.path.join(tmp, "notours")
        os.makedirs(notours)
        bad = [["--songs", "0", os.path.join(tmp, "x")], ["--bars", "8", os.path.join(tmp, "x")],
               ["--seed", "abc", os.path.join(tmp, "x")], ["--jobs", "0", os.path.join(tmp, "x")],
               ["--bogus", os.path.join(tmp, "x")], [], [notours],
               ["--songs", "5", "--bars", "24", "--seed", "5", a],
               ["--grooves", os.path.join(tmp, "missing.txt"), os.path.join(tmp, "x")]]
        for args in bad:
            r = subprocess.run([RENDER, *args], capture_output=True, text=True, timeout=60)
            lines = r.stderr.splitlines()
            check(r.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "),
                  "%s: one error line, non-zero (%d, %r)" % (args, r.returncode, r.stderr))
        check(not os.path.exists(os.path.join(tmp, "x")) and not os.path.exists(os.path.join(tmp, "x.partial")),
              "bad arguments write nothing")
        check(tree(a) == ta, "a render with other parameters leaves the complete one alone")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d failures" % (os.path.basename(__file__), FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
