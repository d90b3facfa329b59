#!/usr/bin/env python3
"""Independent reference for the C++ MIDI reader: every note of every MIDI
file under DIR, extracted with mido by the rules of SPEC section 2.

Usage (Debian's python3, which has mido):
    /usr/bin/python3 tests/reference/midi_notes_mido.py DIR OUT.json

The C++ test midi_reference_test runs it at test time (on data/debian, fetched
by datasets/debian/fetch.sh, and on files written by the C++ writer); nothing
is committed, so there is nothing to regenerate by hand.

Rules (SPEC section 2):
- Per track, absolute ticks are the sum of the delta times; a track ends at
  its End-of-Track event (or its last event when that is missing).
- A note-on with velocity 0 is a note-off. Per (track, channel, pitch) a
  note-off ends the earliest open note (FIFO); a note-off with nothing open is
  ignored; notes still open at the end of the track end there.
- A note's program is the last program change on its channel earlier in the
  same track (default 0), taken when the note starts.
- Tempo (set_tempo > 0) and time signatures (numerator > 0, denominator
  <= 2^10) are collected from all tracks and sorted by tick, keeping file order
  at equal ticks.

Output: {"files": {RELPATH: {"ok": true, "format", "ticks_per_quarter",
"notes": [[track, channel, program, pitch, velocity, start, end], ...] (sorted),
"tempos": [[tick, us_per_quarter], ...], "time_signatures": [[tick, num, den], ...]}
or {"ok": false, "error": MESSAGE}}}.
"""
import collections
import json
import os
import sys

import mido
from mido.midifiles import meta as mido_meta

# mido refuses key signatures with an unknown mode byte (two Debian files have
# mode 255); they carry no notes, so read them as C major instead of failing.
_decode_key_signature = mido_meta.MetaSpec_key_signature.decode


def _tolerant_key_signature(self, message, data):
    try:
        _decode_key_signature(self, message, data)
    except mido_meta.KeySignatureError:
        message.key = "C"


mido_meta.MetaSpec_key_signature.decode = _tolerant_key_signature

MIDI_SUFFIXES = (".mid", ".midi", ".rmi")


def track_notes(index, track):
    notes = []
    tempos = []
    time_signatures = []
    program = [0] * 16
    open_notes = collections.defaultdict(collections.deque)
    tick = 0
    end_tick = 0
    for msg in track:
        tick += msg.time
        end_tick = tick
        if msg.type == "end_of_track":
            break
        if msg.type == "set_tempo":
            if msg.tempo > 0:
                tempos.append([tick, msg.tempo])
        elif msg.type == "time_signature":
            if msg.numerator > 0 and msg.denominator <= 1024:
                time_signatures.append([tick, msg.numerator, msg.denominator])
        elif msg.type == "program_change":
            program[msg.channel] = msg.program
        elif msg.type == "note_on" and msg.velocity > 0:
            open_notes[(msg.channel, msg.note)].append((tick, msg.velocity, program[msg.channel]))
        elif msg.type in ("note_on", "note_off"):
            queue = open_notes.get((msg.channel, msg.note))
            if queue:
                start, velocity, prog = queue.popleft()
                notes.append([index, msg.channel, prog, msg.note, velocity, start, tick])
    for (channel, pitch), queue in open_notes.items():
        for start, velocity, prog in queue:
            notes.append([index, channel, prog, pitch, velocity, start, end_tick])
    return notes, tempos, time_signatures


def read(path):
    midi = mido.MidiFile(path)
    notes, tempos, time_signatures = [], [], []
    for index, track in enumerate(midi.tracks):
        n, t, s = track_notes(index, track)
        notes += n
        tempos += t
        time_signatures += s
    notes.sort()
    tempos.sort(key=lambda t: t[0])  # stable: file order at equal ticks
    time_signatures.sort(key=lambda t: t[0])
    return {
        "ok": True,
        "format": midi.type,
        "ticks_per_quarter": midi.ticks_per_beat,
        "notes": notes,
        "tempos": tempos,
        "time_signatures": time_signatures,
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: midi_notes_mido.py DIR OUT.json")
    root, out = sys.argv[1], sys.argv[2]
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.lower().endswith(MIDI_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            try:
                files[rel] = read(path)
            except Exception as e:  # mido is stricter than the SPEC: record and go on
                files[rel] = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    with open(out + ".tmp", "w") as f:
        json.dump({"files": files}, f)
    os.replace(out + ".tmp", out)
    ok = sum(1 for v in files.values() if v["ok"])
    print("midi_notes_mido: %d files, %d read by mido" % (len(files), ok))


if __name__ == "__main__":
    main()
