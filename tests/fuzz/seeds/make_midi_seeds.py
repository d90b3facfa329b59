#!/usr/bin/env python3
"""Writes the hand-made seed corpus tests/fuzz/seeds/midi/*.mid (tiny files,
one per reader rule). Regenerate with:  python3 tests/fuzz/seeds/make_midi_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "midi")


def header(fmt, ntracks, division):
    return b"MThd" + struct.pack(">IHHH", 6, fmt, ntracks, division)


def chunk(cid, body, length=None):
    return cid + struct.pack(">I", len(body) if length is None else length) + body


EOT = b"\x00\xff\x2f\x00"
NOTES = bytes([0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0x90, 64, 90, 0x60, 64, 0])

SEEDS = {
    # Format 0: name, tempo, 6/8, running status, velocity-0 note-off, two channels.
    "format0.mid": header(0, 1, 96) + chunk(b"MTrk", b"\x00\xff\x03\x04Song" + b"\x00\xff\x51\x03\x07\xa1\x20"
                                            + b"\x00\xff\x58\x04\x06\x03\x18\x08" + NOTES
                                            + bytes([0x00, 0x91, 40, 70, 0x30, 40, 0]) + EOT),
    # Format 1: conductor, piano (program 1), bass (program 33) with a mid-track change, drums.
    "format1.mid": header(1, 4, 480)
    + chunk(b"MTrk", b"\x00\xff\x51\x03\x06\x1a\x80\x83\x60\xff\x51\x03\x07\xa1\x20" + EOT)
    + chunk(b"MTrk", b"\x00\xff\x03\x05Piano\x00\xc0\x01" + NOTES + EOT)
    + chunk(b"MTrk", bytes([0x00, 0xC1, 33, 0x00, 0x91, 36, 80, 0x40, 0x81, 36, 0, 0x00, 0xC1, 35,
                            0x00, 0x91, 38, 80, 0x40, 38, 0]) + EOT)
    + chunk(b"MTrk", bytes([0x00, 0x99, 36, 127, 0x10, 0x89, 36, 0, 0x00, 0x99, 42, 64, 0x00, 42, 0]) + EOT),
    # RIFF RMID wrapper around a format-0 file.
    "wrapped.rmi": (lambda smf: b"RIFF" + struct.pack("<I", 4 + 8 + len(smf)) + b"RMID" + b"data"
                    + struct.pack("<I", len(smf)) + smf)(header(0, 1, 96) + chunk(b"MTrk", NOTES + EOT)),
    # Quirks: unknown chunk, sysex and meta inside running status, a cut-short
    # message (resync), stray data bytes, no End-of-Track, trailing junk, wrong track count.
    "quirks.mid": header(1, 1, 120) + chunk(b"XFIH", b"\x01\x02\x03")
    + chunk(b"MTrk", bytes([0x00, 0x05, 0x90, 60, 100, 0x00, 0xF0, 0x02, 0x7E, 0xF7, 0x10, 62, 90,
                            0x00, 0xFF, 0x01, 0x01, 0x41, 0x10, 60, 0, 0x00, 0x90, 64, 0x92, 65, 30, 0x10, 0x82, 65, 0]))
    + chunk(b"MTrk", NOTES) + b"\xde\xad",
    # A track whose length runs past the end of the file.
    "truncated.mid": header(0, 1, 96) + chunk(b"MTrk", NOTES[:-3], length=4096),
    # SMPTE division: rejected.
    "smpte.mid": header(1, 1, 0xE728) + chunk(b"MTrk", NOTES + EOT),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
