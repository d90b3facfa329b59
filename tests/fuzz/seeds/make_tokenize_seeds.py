#!/usr/bin/env python3
"""Writes the seed corpus tests/fuzz/seeds/tokenize/*.mid for fuzz_tokenize:
tiny MIDI files aimed at the REMI encoder's corners (scripts/fuzz.sh also
gives that fuzzer the reader's seeds in tests/fuzz/seeds/midi). Regenerate with:
  python3 tests/fuzz/seeds/make_tokenize_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenize")


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def smf(division, *tracks):
    data = b"MThd" + struct.pack(">IHHH", 6, 1 if len(tracks) > 1 else 0, len(tracks), division)
    for events in tracks:
        body = b"".join(vlq(delta) + bytes(msg) for delta, msg in events) + b"\x00\xff\x2f\x00"
        data += b"MTrk" + struct.pack(">I", len(body)) + body
    return data


def notes(channel, items):
    """items: (start, end, pitch, velocity) in ticks -> delta-timed events."""
    events = []
    for start, end, pitch, velocity in items:
        events.append((start, [0x90 | channel, pitch, velocity]))
        events.append((end, [0x80 | channel, pitch, 0]))
    events.sort(key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90))
    out, now = [], 0
    for tick, msg in events:
        out.append((tick - now, msg))
        now = tick
    return out


SEEDS = {
    # tpq 100 (not a multiple of 8): positions by floor(8 * offset / tpq), onsets may share one.
    "tpq100.mid": smf(100, notes(0, [(0, 100, 60, 100), (12, 40, 62, 90), (13, 50, 64, 80), (437, 1900, 48, 30)])),
    # tpq 24: below REMI's 32, refused.
    "tpq24.mid": smf(24, notes(0, [(0, 24, 60, 100)])),
    # tpq 32: the smallest accepted; a chord, a duplicate onset+pitch, pitches outside 21..108.
    "tpq32.mid": smf(32, notes(0, [(0, 32, 60, 100), (0, 16, 64, 50), (0, 8, 60, 127), (5, 9, 20, 64),
                                   (40, 50, 109, 64), (64, 70, 21, 1), (64, 70, 108, 127)])),
    # Notes longer than 12 beats, half-step offsets, empty bars, velocity-bin ties.
    "long.mid": smf(480, notes(0, [(0, 480 * 13, 40, 23), (30, 90, 52, 39), (4800, 4830, 55, 47),
                                   (19200, 19200 + 60 * 7, 57, 55)])),
    # Piano and bass parts plus drums, format 1 (every part is tokenized).
    "parts.mid": smf(96,
                     [(0, [0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20])],
                     [(0, [0xC0, 0])] + notes(0, [(0, 96, 60, 80), (0, 96, 64, 80), (96, 192, 67, 80)]),
                     [(0, [0xC1, 33])] + notes(1, [(0, 192, 36, 100), (192, 384, 43, 100)]),
                     notes(9, [(0, 10, 36, 127), (48, 58, 42, 60), (96, 106, 38, 110)])),
    # An onset in bar 4095: runs of empty bars. (Bar 2^20 - 1, the last REMI
    # takes, is left to the unit tests: a million tokens slow the fuzzer down.)
    "far.mid": smf(32, notes(0, [(0, 8, 60, 64), (4 * 32 * 4095, 4 * 32 * 4095 + 8, 62, 64)])),
    # An onset in bar 2^20: refused by the encoder.
    "too_far.mid": smf(32, notes(0, [(4 * 32 * (1 << 20), 4 * 32 * (1 << 20) + 8, 62, 64)])),
    # tpq 0x7FFF, the largest: odd, steps of 4095 ticks.
    "tpq32767.mid": smf(0x7FFF, notes(0, [(0, 0x7FFF, 60, 100), (2047, 6000, 61, 100), (2048, 2049, 62, 100)])),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
