#!/usr/bin/python3
"""Prep throughput: `accompanist prep` against a plain Python pipeline on the
same synthetic set, in one run, so the ratio is measured on one machine.

  /usr/bin/python3 benchmarks/data/prep_throughput.py [--bin build/bin/accompanist]
      [--songs 2000] [--python-files 2000] [--work /tmp/acc_prep_bench] [--out FILE.jsonl]

1. `accompanist synth --songs N` writes the set (kept in --work for reruns).
2. `accompanist prep` runs with threads=1 and threads=0 (all cores) under
   /usr/bin/time -v: MIDI files/s and notes/s of the reading phase (read +
   snippets + REMI, from prep_report.json), the whole run's wall time, and
   the peak resident memory.
3. The Python baseline does the reading phase's work for the same files:
   mido (tests/reference/remi_reference.midi_parts), family selection and
   96-beat windows (tests/reference/data_snippets.py), REMI encoding
   (remi_reference.encode). It learns no BPE (far too slow in pure Python);
   the ratio compares like with like: the reading phase.
Each measurement is one JSON line (git revision, machine) on stdout and,
with --out, appended to FILE.jsonl. Target: C++ single-thread >= 20x Python.
"""
import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import data_snippets  # noqa: E402
import remi_reference as remi  # noqa: E402


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain"], capture_output=True, text=True)
        return (rev.stdout.strip() or "unknown") + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    return dict(host=platform.node(), cpu=cpu, cores=os.cpu_count(), system=platform.platform())


def emit(record, out):
    record = dict(benchmark="data.prep_throughput", git_revision=REV, machine=MACHINE, **record)
    line = json.dumps(record)
    print(line, flush=True)
    if out:
        with open(out, "a") as f:
            f.write(line + "\n")


def run_prep(binary, songs_dir, out_dir, threads):
    out = os.path.join(out_dir, f"threads{threads}", "corpus.h5")
    cmd = [binary, "prep", "--config", os.path.join(ROOT, "configs/prep/default.yaml"), "--input", songs_dir,
           "--output", out, "--set", f"threads={threads}", "--no-plot", "--no-progress"]
    have_time = os.path.exists("/usr/bin/time")
    if have_time:
        cmd = ["/usr/bin/time", "-v"] + cmd
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t
    if p.returncode != 0:
        sys.exit(f"prep failed:\n{p.stderr}")
    if have_time:
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.path.join(os.path.dirname(out), "prep_report.json")) as f:
        rep = json.load(f)
    return dict(threads=rep["threads"], files=rep["files"]["found"], notes=rep["notes"],
                read_s=rep["time_s"]["read"], total_s=wall, peak_rss_mb=round(peak_kb / 1024, 1),
                files_per_s=rep["throughput"]["files_per_s"], notes_per_s=rep["throughput"]["notes_per_s"],
                pairs=sum(rep["splits"][s]["pairs"] for s in ("train", "valid", "test")),
                bpe_train_s=rep["time_s"]["bpe_train"])


def python_pipeline(files):
    cfg = dict(window_beats=96, min_notes=1, filter=dict(min_notes_per_bar=0, max_notes_per_bar=0))
    notes = 0
    t = time.time()
    for path in files:
        tpq, parts = remi.midi_parts(path)
        src = data_snippets.family_notes(parts, range(0, 8), "merge")
        tgt = data_snippets.family_notes(parts, range(32, 40), "merge")
        if tpq < 32 or src is None or tgt is None:
            continue
        for _, s, g in data_snippets.windows(src, tgt, 96 * tpq, cfg):
            remi.encode(s, tpq)
            remi.encode(g, tpq)
            notes += len(s) + len(g)
    dt = time.time() - t
    return dict(files=len(files), notes=notes, read_s=dt, files_per_s=len(files) / dt, notes_per_s=notes / dt,
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin", "accompanist"))
    ap.add_argument("--songs", type=int, default=2000)
    ap.add_argument("--python-files", type=int, default=2000, help="files for the Python baseline (0 = all)")
    ap.add_argument("--work", default="/tmp/acc_prep_bench")
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    songs_dir = os.path.join(args.work, f"songs{args.songs}")
    if not os.path.isdir(songs_dir):
        subprocess.run([args.bin, "synth", "--songs", str(args.songs), "--out", songs_dir, "--seed", "1",
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    out_dir = os.path.join(args.work, "out")

    cpp = {}
    for threads in (1, 0):
        r = run_prep(args.bin, songs_dir, out_dir, threads)
        cpp[threads] = r
        emit(dict(impl="accompanist prep", songs=args.songs, **r), args.out)

    files = sorted(os.path.join(d, n) for d, _, names in os.walk(songs_dir) for n in names if n.endswith(".mid"))
    if args.python_files:
        files = files[:args.python_files]
    py = python_pipeline(files)
    emit(dict(impl="python mido + remi_reference", songs=len(files), threads=1, **py), args.out)
    emit(dict(impl="ratio", songs=args.songs,
              files_per_s_1thread=round(cpp[1]["files_per_s"] / py["files_per_s"], 1),
              notes_per_s_1thread=round(cpp[1]["notes_per_s"] / py["notes_per_s"], 1),
              files_per_s_all_threads=round(cpp[0]["files_per_s"] / py["files_per_s"], 1),
              target=20), args.out)


REV = git_revision()
MACHINE = machine()

if __name__ == "__main__":
    main()
