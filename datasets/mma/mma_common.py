"""Shared by render.py and vet_grooves.py: running Debian's mma reproducibly
and reading back which instrument parts a rendered MIDI file holds.

Standard library only (Debian's /usr/bin/python3), so the data sets need no
pip and no project build.
"""

import os
import shutil
import struct
import subprocess

MMA_LIB = "/usr/share/mma/lib"
PIANO = range(0, 8)  # GM programs of the piano family (configs/prep/default.yaml)
BASS = range(32, 40)  # GM programs of the bass family
LOW, HIGH = 21, 108  # pitches that survive REMI tokenization
EMPTY_RC = "/dev/null"  # an empty init file: no ./mmarc, ~/.mmarc or /etc/mmarc changes the output


class MidiError(Exception):
    pass


def find_mma():
    """Path of the mma program, or None."""
    return shutil.which("mma")


def mma_version(mma):
    """MMA's version string (e.g. "21.09"), from `mma -v`."""
    out = subprocess.run([mma, "-v"], capture_output=True, text=True, env=mma_env(), timeout=60)
    return (out.stdout + out.stderr).strip().split()[-1] if (out.stdout + out.stderr).strip() else "unknown"


def mma_env():
    """The environment for mma: no user Python settings, a fixed hash seed.

    mma's randomness (RTime, RSkip, RVolume, voicing, ...) all comes from
    Python's `random`, seeded by the chart's RndSeed; the fixed hash seed
    removes the other way a Python program's output can vary between runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["LC_ALL"] = "C.UTF-8"
    return env


def run_mma(mma, chart, name, workdir, timeout=120):
    """Renders chart (MMA source text) in workdir as name.mma -> name.mid.

    Returns (midi bytes or None, message). The chart and its output use
    plain names relative to workdir because mma writes the input file name
    into the MIDI file; absolute paths would make the bytes depend on DEST."""
    os.makedirs(workdir, exist_ok=True)
    src, out = name + ".mma", name + ".mid"
    with open(os.path.join(workdir, src), "w") as f:
        f.write(chart)
    out_path = os.path.join(workdir, out)
    if os.path.exists(out_path):
        os.remove(out_path)
    try:
        res = subprocess.run([mma, "-i", EMPTY_RC, src, "-f", out], cwd=workdir, capture_output=True,
                             text=True, env=mma_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "mma timed out after %d s" % timeout
    log = (res.stdout + res.stderr).strip()
    if res.returncode != 0 or not os.path.exists(out_path):
        lines = [l for l in log.splitlines() if "rror" in l] or log.splitlines() or ["no output"]
        return None, "mma exit %d: %s" % (res.returncode, lines[-1].strip())
    with open(out_path, "rb") as f:
        data = f.read()
    os.remove(out_path)
    os.remove(os.path.join(workdir, src))
    return data, ""


def _varlen(data, i):
    value = 0
    for _ in range(4):
        if i >= len(data):
            raise MidiError("truncated variable-length number")
        b = data[i]
        i += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, i
    raise MidiError("variable-length number longer than 4 bytes")


def midi_summary(data):
    """What the reader of the project sees in a Standard MIDI File.

    Returns {"tpq", "time_signatures": [(tick, num, den)], "end_tick",
    "last_onset", "parts": {(track, channel, program): notes}} where a part is the notes of
    one (track, channel, program) as in acc::midi (program = the last program
    change on the channel before the note; channel 9 = drums, program -1),
    counting only notes with a pitch in [21, 108]."""
    if len(data) < 14 or data[:4] != b"MThd":
        raise MidiError("not a Standard MIDI File")
    hlen, fmt, ntracks, tpq = struct.unpack(">IHHH", data[4:14])
    if tpq & 0x8000:
        raise MidiError("SMPTE time division")
    i = 8 + hlen
    parts, sigs, end_tick, last_onset = {}, [], 0, 0
    for track in range(ntracks):
        if data[i:i + 4] != b"MTrk":
            raise MidiError("track %d: no MTrk chunk" % track)
        (tlen,) = struct.unpack(">I", data[i + 4:i + 8])
        j, stop = i + 8, i + 8 + tlen
        if stop > len(data):
            raise MidiError("track %d: truncated" % track)
        tick, status, program = 0, 0, [0] * 16
        while j < stop:
            delta, j = _varlen(data, j)
            tick += delta
            b = data[j]
            prev = status
            if b & 0x80:
                status = b
                j += 1
            elif not status:
                raise MidiError("track %d: running status without a status" % track)
            kind, ch = status & 0xF0, status & 0x0F
            if status == 0xFF:
                mtype = data[j]
                mlen, j = _varlen(data, j + 1)
                if mtype == 0x58 and mlen >= 2:
                    sigs.append((tick, data[j], 2 ** data[j + 1]))
                j += mlen
                status = prev  # running status survives meta and sysex events, as in acc::midi
            elif status in (0xF0, 0xF7):
                slen, j = _varlen(data, j)
                j += slen
                status = prev
            elif kind in (0xC0, 0xD0):
                if kind == 0xC0:
                    program[ch] = data[j]
                j += 1
            else:
                note, vel = data[j], data[j + 1]
                j += 2
                if kind == 0x90 and vel > 0:
                    last_onset = max(last_onset, tick)
                    if LOW <= note <= HIGH:
                        key = (track, ch, -1 if ch == 9 else program[ch])
                        parts[key] = parts.get(key, 0) + 1
            end_tick = max(end_tick, tick)
        i = stop
    return {"tpq": tpq, "time_signatures": sigs, "end_tick": end_tick, "last_onset": last_onset, "parts": parts}


def family_notes(summary, programs):
    """Notes of all non-drum parts whose program is in programs."""
    return sum(n for (_, ch, prog), n in summary["parts"].items() if ch != 9 and prog in programs)
