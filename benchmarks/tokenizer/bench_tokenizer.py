#!/usr/bin/python3
"""REMI + BPE encoding throughput: C++ (build/bin/bench_tokenizer) against a
plain Python implementation of the same encoding, on the same workload, in one
run. Prints one JSON line (git revision, machine, tokens/s of both, ratios)
and appends it to RESULTS if given.

  /usr/bin/python3 benchmarks/tokenizer/bench_tokenizer.py [RESULTS.jsonl]
      [--build build-dir] [--data data/debian] [--vocab 500] [--min-seconds 2]

Workload: the 96-beat windows of every non-drum part of data/debian
(datasets/debian/fetch.sh), notes read with mido; random parts when the data
is missing. tokens/s counts base REMI tokens processed per CPU second, from
the median pass (both sides measure process CPU time, robust on a shared
machine). The Python
BPE encoder is the Hugging Face word-merge algorithm (heap of (rank, position)
over a linked list), i.e. the same algorithm as the C++, so the ratio is about
the language, not the algorithm; its output is checked against the C++ ids.
"""
import argparse
import bisect
import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ------------------------------------------------------- plain Python REMI
VELOCITIES = [15, 31, 47, 63, 79, 95, 111, 127]
DURATIONS = [(b, s, 8) for b in range(4) for s in range(8)][1:] + \
            [(b, s, 4) for b in range(4, 12) for s in range(4)] + [(12, 0, 4)]


def remi_encode(notes, tpq, dur_cache={}):
    if tpq not in dur_cache:
        dur_cache[tpq] = [(b * r + s) * tpq // r for (b, s, r) in DURATIONS]
    table = dur_cache[tpq]
    step = tpq // 8
    q = []
    for pitch, vel, start, end in notes:
        if pitch < 21 or pitch > 108:
            continue
        off = start % step
        start = start - off if 2 * off <= step else start + step - off
        if end - start > 12 * tpq:
            end = start + 12 * tpq
        else:
            off = end % step
            end = end - off if 2 * off <= step else end + step - off
            if end == start:
                end += step
        vb = bisect.bisect_left(VELOCITIES, vel)  # nearest bin, ties to the lower
        if vb == 8 or (vb > 0 and vel - VELOCITIES[vb - 1] <= VELOCITIES[vb] - vel):
            vb -= 1
        q.append((start, pitch, end, vb))
    q.sort(key=lambda n: (n[0], n[1], n[2]))
    ids = []
    bar_len = 4 * tpq
    bar_now = -1
    prev_onset = -1
    for i, (start, pitch, end, vb) in enumerate(q):
        if i + 1 < len(q) and q[i + 1][0] == start and q[i + 1][1] == pitch:
            continue  # a longer duplicate follows
        if start != prev_onset:
            bar = start // bar_len
            while bar_now < bar:
                ids.append(4)
                bar_now += 1
            ids.append(165 + 8 * (start - bar * bar_len) // tpq)
            prev_onset = start
        d = end - start
        k = bisect.bisect_left(table, d)  # nearest duration, ties to the shorter
        if k == 64 or (k > 0 and d - table[k - 1] <= table[k] - d):
            k -= 1
        ids += [5 + pitch - 21, 93 + vb, 101 + k]
    return ids


# -------------------------------------------------------- plain Python BPE
def bpe_encode(ids, ranks, base=197):
    n = len(ids)
    if n < 2:
        return list(ids)
    c = list(ids)
    prev = list(range(-1, n - 1))
    nxt = list(range(1, n)) + [-1]
    heap = []
    for i in range(n - 1):
        r = ranks.get((c[i], c[i + 1]))
        if r is not None:
            heap.append((r, i))
    heapq.heapify(heap)
    while heap:
        r, p = heapq.heappop(heap)
        if c[p] < 0:
            continue
        q = nxt[p]
        if q < 0 or ranks.get((c[p], c[q])) != r:
            continue
        new = base + r
        c[p] = new
        c[q] = -1
        nxt[p] = nxt[q]
        if nxt[q] >= 0:
            prev[nxt[q]] = p
        if prev[p] >= 0:
            r2 = ranks.get((c[prev[p]], new))
            if r2 is not None:
                heapq.heappush(heap, (r2, prev[p]))
        if nxt[p] >= 0:
            r2 = ranks.get((new, c[nxt[p]]))
            if r2 is not None:
                heapq.heappush(heap, (r2, p))
    return [x for x in c if x >= 0]


def time_passes(min_seconds, fn):
    """Median CPU seconds of a pass (at least 5 passes and min_seconds), as
    the C++ side: the build machines are shared and oversubscribed."""
    fn()
    passes, start = [], time.process_time()
    while len(passes) < 5 or time.process_time() - start < min_seconds:
        t0 = time.process_time()
        fn()
        passes.append(time.process_time() - t0)
    return statistics.median(passes)


# ------------------------------------------------------------------ workload
def load_workload(data_dir):
    sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
    parts = []
    if os.path.isdir(data_dir):
        import remi_reference
        for root, _, names in sorted(os.walk(data_dir)):
            for name in sorted(names):
                if not name.lower().endswith((".mid", ".midi")):
                    continue
                try:
                    tpq, song = remi_reference.midi_parts(os.path.join(root, name))
                except Exception:
                    continue
                if tpq < 32:
                    continue
                span = 96 * tpq
                for p in song:
                    if p["channel"] == 9:
                        continue
                    windows = {}
                    for pitch, vel, s, e in p["notes"]:
                        w = s // span
                        windows.setdefault(w, []).append([pitch, vel, s - w * span, min(e, (w + 1) * span) - w * span])
                    parts += [dict(tpq=tpq, notes=ns) for _, ns in sorted(windows.items())]
        return "debian 96-beat windows", parts
    rng = random.Random(1)
    for k in range(600):
        tpq = rng.choice([96, 120, 384, 480])
        notes = []
        for _ in range(rng.randint(50, 400)):
            s = rng.randint(0, 96 * tpq - 1)
            notes.append([rng.randint(28, 90), rng.randint(40, 120), s, s + rng.randint(0, 2 * tpq)])
        parts.append(dict(tpq=tpq, notes=notes))
    return "random parts (data/debian missing)", parts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="?", help="JSON-lines file to append the result to")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "debian"))
    ap.add_argument("--vocab", type=int, default=500)
    ap.add_argument("--min-seconds", type=float, default=2.0)
    args = ap.parse_args()

    binary = os.path.join(args.build, "bin", "bench_tokenizer")
    if not os.path.exists(binary):
        print(f"error: {binary}: not built (ninja -C {args.build} bench_tokenizer)", file=sys.stderr)
        return 1
    label, parts = load_workload(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        wpath, tpath, ipath = (os.path.join(tmp, n) for n in ("workload.json", "tokenizer.json", "ids.json"))
        with open(wpath, "w") as f:
            json.dump(dict(parts=parts), f)
        proc = subprocess.run([binary, "--workload", wpath, "--train-vocab", str(args.vocab), "--save-tokenizer",
                               tpath, "--ids-out", ipath, "--min-seconds", str(args.min_seconds)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr.strip() or f"error: {binary} failed", file=sys.stderr)
            return 1
        cpp = json.loads(proc.stdout)
        with open(tpath) as f:
            merges = json.load(f)["merges"]
        with open(ipath) as f:
            cpp_ids = json.load(f)
    ranks = {(a, b): i for i, (a, b) in enumerate(merges)}

    base = [remi_encode(p["notes"], p["tpq"]) for p in parts]
    py_ids = [bpe_encode(b, ranks) for b in base]
    if py_ids != cpp_ids:
        bad = next(i for i in range(len(parts)) if py_ids[i] != cpp_ids[i])
        print(f"error: Python and C++ encodings differ (part {bad})", file=sys.stderr)
        return 1
    base_tokens = sum(len(b) for b in base)
    assert base_tokens == cpp["base_tokens"]

    remi_s = time_passes(args.min_seconds, lambda: [remi_encode(p["notes"], p["tpq"]) for p in parts])
    bpe_s = time_passes(args.min_seconds, lambda: [bpe_encode(b, ranks) for b in base])
    both_s = time_passes(args.min_seconds, lambda: [bpe_encode(remi_encode(p["notes"], p["tpq"]), ranks)
                                                    for p in parts])
    py = dict(remi_tokens_per_s=base_tokens / remi_s, bpe_tokens_per_s=base_tokens / bpe_s,
              remi_bpe_tokens_per_s=base_tokens / both_s)
    line = dict(benchmark="tokenizer_encode", git=cpp["git"], host=cpp["host"], cpu=cpp["cpu"],
                time=time.strftime("%Y-%m-%dT%H:%M:%S"), workload=label, parts=len(parts),
                base_tokens=base_tokens, bpe_tokens=cpp["bpe_tokens"], vocab_size=cpp["vocab_size"],
                compression=base_tokens / cpp["bpe_tokens"], train_seconds=cpp["train_seconds"],
                cpp={k: cpp[k] for k in ("remi_tokens_per_s", "bpe_tokens_per_s", "remi_bpe_tokens_per_s",
                                         "grammar_steps_per_s")},
                python=py, python_version=sys.version.split()[0],
                ratio_remi_bpe=cpp["remi_bpe_tokens_per_s"] / py["remi_bpe_tokens_per_s"],
                ratio_bpe=cpp["bpe_tokens_per_s"] / py["bpe_tokens_per_s"],
                ratio_remi=cpp["remi_tokens_per_s"] / py["remi_tokens_per_s"])
    text = json.dumps(line)
    print(text)
    if args.results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(args.results, "a") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
