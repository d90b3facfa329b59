#!/usr/bin/python3
"""Independent reference for the REMI tokenizer (SPEC section 4, MidiTok 2.1.8
REMI with pitch_range (21, 109), beat_res {(0,4): 8, (4,12): 4}, 8 velocities).

Written from the SPEC text with numpy and mido; it shares no code with the C++.

Usage (run with Debian's python3, which has numpy and mido):
  /usr/bin/python3 tests/reference/remi_reference.py edge-cases OUT.json
      hand-made and random cases -> tests/reference/golden/tokenizer/remi_cases.json
      (regenerate the committed golden file with exactly this command)
  /usr/bin/python3 tests/reference/remi_reference.py midi OUT.json FILE_OR_DIR...
      every part of every MIDI file, notes extracted with mido, and their ids
      (the C++ test runs this at test time when data/debian exists)
"""
import json
import os
import sys
from collections import defaultdict, deque

import numpy as np

# ---------------------------------------------------------------- vocabulary
SPECIALS = ["PAD", "BOS", "EOS", "MASK"]
PITCH_LO, PITCH_HI = 21, 108
VELOCITIES = np.linspace(0, 127, 9)[1:].astype(np.int64)  # 15 31 ... 127
# beat.subbeat.resolution: 8 steps a beat below 4 beats, 4 steps a beat from 4 to 12.
DURATIONS = [(b, s, 8) for b in range(0, 4) for s in range(8)][1:] + \
            [(b, s, 4) for b in range(4, 12) for s in range(4)] + [(12, 0, 4)]
assert len(DURATIONS) == 64

VOCAB = [f"{s}_None" for s in SPECIALS] + ["Bar_None"]
VOCAB += [f"Pitch_{p}" for p in range(PITCH_LO, PITCH_HI + 1)]
VOCAB += [f"Velocity_{v}" for v in VELOCITIES]
VOCAB += ["Duration_%d.%d.%d" % d for d in DURATIONS]
VOCAB += [f"Position_{p}" for p in range(32)]
assert len(VOCAB) == 197
ID = {name: i for i, name in enumerate(VOCAB)}


def kind(i):
    return VOCAB[i].split("_")[0]


def value(i):
    return VOCAB[i].split("_")[1]


def duration_ticks_table(tpq):
    return np.array([(b * r + s) * tpq // r for (b, s, r) in DURATIONS], dtype=np.int64)


# ------------------------------------------------------------------- encoding
class TpqTooSmall(Exception):
    pass


def snap(t, step):
    """Nearest multiple of step, exact halves downwards."""
    rem = t % step
    return np.where(2 * rem <= step, t - rem, t + step - rem)


def preprocess(notes, tpq):
    """notes: list of (pitch, velocity, start, end) -> list of dicts after
    MidiTok's quantisation, sorted and de-duplicated."""
    if tpq < 32:
        raise TpqTooSmall(tpq)
    if len(notes) == 0:
        return []
    a = np.array(notes, dtype=np.int64).reshape(-1, 4)
    a = a[(a[:, 0] >= PITCH_LO) & (a[:, 0] <= PITCH_HI)]
    if len(a) == 0:
        return []
    pitch, vel, start, end = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
    step = tpq // 8
    start = snap(start, step)
    too_long = end - start > 12 * tpq
    end_snapped = snap(end, step)
    end_snapped = np.where(end_snapped == start, end_snapped + step, end_snapped)
    end = np.where(too_long, start + 12 * tpq, end_snapped)
    vbin = np.argmin(np.abs(VELOCITIES[None, :] - vel[:, None]), axis=1)  # first minimum: ties go down
    rows = [dict(pitch=int(pitch[i]), vbin=int(vbin[i]), start=int(start[i]), end=int(end[i]))
            for i in range(len(pitch))]
    rows = sorted(rows, key=lambda n: (n["start"], n["pitch"], n["end"]))  # stable
    kept = []
    for n in rows:
        if kept and kept[-1]["pitch"] == n["pitch"] and kept[-1]["start"] == n["start"]:
            kept[-1] = n  # the later (longer) one wins
        else:
            kept.append(n)
    table = duration_ticks_table(tpq)
    for n in kept:
        n["dindex"] = int(np.argmin(np.abs(table - (n["end"] - n["start"]))))
    return kept


def encode(notes, tpq):
    kept = preprocess(notes, tpq)
    ids = []
    bar_len = 4 * tpq
    bars_emitted = 0
    onset_groups = defaultdict(list)
    for n in kept:
        onset_groups[n["start"]].append(n)
    for onset in sorted(onset_groups):
        bar = onset // bar_len
        while bars_emitted <= bar:
            ids.append(ID["Bar_None"])
            bars_emitted += 1
        ids.append(ID[f"Position_{(8 * (onset - bar * bar_len)) // tpq}"])
        for n in onset_groups[onset]:
            ids.append(ID[f"Pitch_{n['pitch']}"])
            ids.append(ID[f"Velocity_{VELOCITIES[n['vbin']]}"])
            ids.append(ID["Duration_%d.%d.%d" % DURATIONS[n["dindex"]]])
    return ids


def quantized(notes, tpq):
    """The notes the tokens describe, in the file's ticks."""
    table = duration_ticks_table(tpq)
    return [[n["pitch"], int(VELOCITIES[n["vbin"]]), n["start"], n["start"] + int(table[n["dindex"]])]
            for n in preprocess(notes, tpq)]


# ------------------------------------------------------------------- decoding
# Which token type may follow which (REMI without extra tokens); the special
# tokens other than BOS may follow anything, PAD/BOS/MASK may precede
# anything, nothing may follow EOS.
FOLLOW = {
    "Bar": {"Bar", "Position"},
    "Position": {"Pitch"},
    "Pitch": {"Velocity"},
    "Velocity": {"Duration"},
    "Duration": {"Pitch", "Position", "Bar"},
}


def follows(prev, cur):
    if prev == "EOS":
        return False
    if prev in ("PAD", "BOS", "MASK"):
        return True
    return cur in FOLLOW[prev] or cur in ("PAD", "EOS", "MASK")


def grammar_errors(ids):
    """MidiTok's tokens_errors numerator: wrong type successions, positions
    not moving forward in a bar, a pitch repeated at one position."""
    if not ids:
        return 0
    errors = 0
    prev = kind(ids[0])
    pos = int(value(ids[0])) if prev == "Position" else -1
    at_pos = {int(value(ids[0]))} if prev == "Pitch" else set()
    for i in ids[1:]:
        k = kind(i)
        if not follows(prev, k):
            errors += 1
        elif k == "Bar":
            pos, at_pos = -1, set()
        elif k == "Position":
            if int(value(i)) <= pos:
                errors += 1
            pos, at_pos = int(value(i)), set()
        elif k == "Pitch":
            if int(value(i)) in at_pos:
                errors += 1
            else:
                at_pos.add(int(value(i)))
        prev = k
    return errors


def decode(ids, tpq=384):
    """ids -> notes [pitch, velocity, start, end] at tpq; a Pitch makes a note
    only when a Velocity and a Duration follow it."""
    step = tpq // 8
    notes = []
    tick, bar_tick, bar = 0, 0, -1
    for i, t in enumerate(ids):
        k = kind(t)
        if k == "Bar":
            bar += 1
            if bar > 0:
                tick = bar_tick + 4 * tpq
            bar_tick = tick
        elif k == "Position":
            if bar == -1:
                bar = 0
            tick = bar_tick + int(value(t)) * step
        elif k == "Pitch" and i + 2 < len(ids) and kind(ids[i + 1]) == "Velocity" and kind(ids[i + 2]) == "Duration":
            b, s, r = map(int, value(ids[i + 2]).split("."))
            notes.append([int(value(t)), int(value(ids[i + 1])), tick, tick + (b * r + s) * tpq // r])
    return notes


# --------------------------------------------------------------- MIDI via mido
def midi_parts(path):
    """Parts (track, channel, program) -> notes, as SPEC section 2 pairs them:
    FIFO per (track, channel, pitch), velocity-0 note-on ends a note, notes
    still open end at the track's last event, program = last program change
    on the channel earlier in the track (at the note-on)."""
    import mido
    mid = mido.MidiFile(path, clip=True)
    parts = defaultdict(list)
    for ti, track in enumerate(mid.tracks):
        t_index = 0 if mid.type == 0 else ti
        tick = 0
        program = [0] * 16
        open_notes = defaultdict(deque)
        for msg in track:
            tick += msg.time
            if msg.type == "program_change":
                program[msg.channel] = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)].append((tick, msg.velocity, program[msg.channel]))
            elif msg.type in ("note_off", "note_on"):
                q = open_notes.get((msg.channel, msg.note))
                if q:
                    start, vel, prog = q.popleft()
                    parts[(t_index, msg.channel, prog)].append((msg.note, vel, start, tick))
        for (ch, p), q in open_notes.items():
            for start, vel, prog in q:
                parts[(t_index, ch, prog)].append((p, vel, start, tick))
    out = []
    for key in sorted(parts):
        notes = sorted(parts[key], key=lambda n: (n[2], n[0], n[3], n[1]))
        out.append(dict(track=key[0], channel=key[1], program=key[2], notes=[list(n) for n in notes]))
    return mid.ticks_per_beat, out


def midi_command(out_path, inputs):
    files = []
    for item in inputs:
        if os.path.isdir(item):
            for root, _, names in sorted(os.walk(item)):
                files += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith((".mid", ".midi"))]
        else:
            files.append(item)
    result = []
    for path in files:
        entry = dict(path=path)
        try:
            tpq, parts = midi_parts(path)
        except Exception as e:  # mido refuses some real files; the C++ reader is tested elsewhere
            entry["error"] = f"mido: {type(e).__name__}: {e}"
            result.append(entry)
            continue
        entry["tpq"] = tpq
        if tpq < 32:
            entry["error"] = "tpq"
        else:
            for p in parts:
                p["ids"] = encode(p["notes"], tpq)
        entry["parts"] = parts
        result.append(entry)
    with open(out_path, "w") as f:
        json.dump(dict(files=result), f)


# ----------------------------------------------------------------- edge cases
def edge_cases():
    q = 384
    cases = [
        ("empty", q, []),
        ("single note", q, [[60, 100, 0, 384]]),
        ("half-step ties", q, [[60, 80, 24, 72], [62, 80, 72, 120], [64, 80, 25, 73], [65, 80, 23, 71],
                               [67, 80, 1560, 1560 + 24]]),
        ("past 12 beats", 480, [[40, 90, 0, 13 * 480], [41, 90, 7, 12 * 480 + 7], [42, 90, 30, 12 * 480 + 100],
                                [43, 90, 0, 12 * 480], [44, 90, 100, 100 + 12 * 480 + 1], [45, 90, 0, 40 * 480]]),
        ("zero length", q, [[60, 64, 0, 0], [61, 64, 100, 100], [62, 64, 23, 23], [63, 64, 30, 30]]),
        ("duplicates", q, [[60, 50, 0, 384], [60, 90, 0, 192], [60, 70, 10, 500], [60, 127, 0, 500],
                           [61, 40, 48, 96], [61, 41, 48, 96], [62, 1, 1000, 1100], [62, 127, 1001, 1100]]),
        ("pitch range", q, [[0, 64, 0, 96], [20, 64, 0, 96], [21, 64, 0, 96], [108, 64, 0, 96],
                            [109, 64, 0, 96], [127, 64, 0, 96]]),
        ("out of range only", q, [[10, 64, 0, 96], [120, 64, 96, 192]]),
        ("empty leading bars", q, [[50, 64, 3 * 1536 + 96, 3 * 1536 + 500], [52, 64, 7 * 1536, 7 * 1536 + 1]]),
        ("velocity ties", q, [[60 + i, v, 48 * i, 48 * i + 48]
                              for i, v in enumerate([0, 1, 15, 16, 23, 24, 39, 55, 71, 87, 103, 119, 120, 127])]),
        ("duration ties", q, [[60, 64, 0, 1584], [61, 64, 0, 1632 + 48], [62, 64, 0, 4 * 384 + 24],
                              [63, 64, 0, 3 * 384 + 7 * 48]]),
        ("bar boundary", q, [[60, 64, 1535, 1600], [61, 64, 1512, 1600], [62, 64, 1511, 1600]]),
        ("tpq 100", 100, [[60, 64, t, t + 37] for t in range(0, 1000, 12)] + [[70, 64, 300, 400], [71, 64, 312, 420]]),
        ("tpq 33", 33, [[60, 64, t, t + 9] for t in range(0, 300, 5)]),
        ("tpq 437", 437, [[55, 80, 0, 5000], [57, 80, 437 * 3 + 20, 437 * 5], [59, 80, 437 * 4 - 30, 437 * 4]]),
        ("tpq 1000", 1000, [[60, 64, 62, 1000], [61, 64, 63, 125], [62, 64, 3999, 4100]]),
        ("tpq 32", 32, [[60, 64, 0, 3], [61, 64, 2, 3], [62, 64, 3, 5], [63, 64, 6, 6]]),
        ("tpq 31", 31, [[60, 64, 0, 31]]),
        ("tpq 24", 24, [[60, 64, 0, 24]]),
    ]
    rng = np.random.default_rng(20240501)
    for k, tpq in enumerate([96, 120, 192, 220, 384, 480, 960, 1024]):
        n = int(rng.integers(20, 160))
        start = np.sort(rng.integers(0, 40 * tpq, n))
        length = np.where(rng.random(n) < 0.1, rng.integers(0, 16 * tpq, n), rng.integers(0, 2 * tpq, n))
        pitch = rng.integers(15, 115, n)
        vel = rng.integers(1, 128, n)
        notes = [[int(pitch[i]), int(vel[i]), int(start[i]), int(start[i] + length[i])] for i in range(n)]
        # chords: copy some onsets to other pitches, and exact duplicates
        for i in range(0, n, 7):
            notes.append([int(pitch[i]) + 4, int(vel[i]), int(start[i]), int(start[i] + length[i] // 2)])
            notes.append(list(notes[i]))
        cases.append((f"random {k} tpq {tpq}", tpq, notes))

    encode_cases = []
    for name, tpq, notes in cases:
        c = dict(name=name, tpq=tpq, notes=notes)
        try:
            c["ids"] = encode(notes, tpq)
            c["quantized"] = quantized(notes, tpq)
        except TpqTooSmall:
            c["error"] = "tpq"
        encode_cases.append(c)

    B, P, V, D = ID["Bar_None"], ID["Position_0"], ID["Velocity_95"], ID["Duration_1.0.8"]
    pitch = lambda p: ID[f"Pitch_{p}"]
    pos = lambda p: ID[f"Position_{p}"]
    decode_lists = [
        ("empty", []),
        ("valid", [B, pos(0), pitch(60), V, D, pitch(64), V, D, pos(8), pitch(62), V, D, B, B, pos(31), pitch(40), V, D]),
        ("position before bar", [pos(4), pitch(60), V, D, B, pos(2), pitch(61), V, D]),
        ("pitch without velocity", [B, pos(0), pitch(60), D, pitch(61), V, D]),
        ("orphan velocity duration", [B, pos(0), V, D, pitch(61), V, D, V]),
        ("incomplete at end", [B, pos(0), pitch(60), V]),
        ("position goes back", [B, pos(8), pitch(60), V, D, pos(8), pitch(61), V, D, pos(2), pitch(62), V, D]),
        ("repeated pitch", [B, pos(0), pitch(60), V, D, pitch(60), V, D, pos(1), pitch(60), V, D]),
        ("specials", [ID["BOS_None"], B, pos(0), ID["PAD_None"], pitch(60), V, D, ID["MASK_None"], B, ID["EOS_None"],
                      B, pos(3), pitch(70), V, D, ID["BOS_None"], ID["EOS_None"]]),
        ("bar after pitch", [B, pos(0), pitch(60), B, pos(1), pitch(62), V, D]),
        ("starts with pitch", [pitch(60), V, D, pitch(60), V, D]),
        ("starts with position", [pos(5), pos(5), pitch(60), V, D]),
    ]
    for k in range(12):
        decode_lists.append((f"random ids {k}", [int(x) for x in rng.integers(0, 197, int(rng.integers(1, 80)))]))
    for k in range(6):  # mostly valid sequences with a few tokens replaced
        ids = list(encode_cases[-8 + k]["ids"][:120])
        for _ in range(4):
            ids[int(rng.integers(0, len(ids)))] = int(rng.integers(0, 197))
        decode_lists.append((f"corrupted {k}", ids))
    decode_cases = [dict(name=n, ids=ids, notes=decode(ids), errors=grammar_errors(ids)) for n, ids in decode_lists]
    return dict(vocab=VOCAB, encode=encode_cases, decode=decode_cases)


def main(argv):
    if len(argv) >= 2 and argv[0] == "edge-cases":
        with open(argv[1], "w") as f:
            json.dump(edge_cases(), f, separators=(",", ":"))
            f.write("\n")
    elif len(argv) >= 3 and argv[0] == "midi":
        midi_command(argv[1], argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
