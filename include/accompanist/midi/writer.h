// Standard MIDI File writer: format 1, a conductor track with the tempo and
// time-signature maps, then one track per part (name, program change, notes).
#pragma once

#include <string>

#include "accompanist/midi/song.h"

namespace acc::midi {

// The tick resolution of generated files (MidiTok's output resolution).
constexpr int kOutputTicksPerQuarter = 384;

// Encodes song (at song.ticks_per_quarter, 1..32767). Reading the bytes back
// with parse_midi gives every part's notes, channel and program unchanged,
// with part i in track i + 1, provided same-pitch notes of a part do not nest (a later note ending
// before an earlier one): FIFO note-off pairing cannot express that.
// Throws acc::Error("<memory>", reason) on values a MIDI file cannot hold
// (pitch outside 0..127, velocity outside 1..127, channel outside 0..15,
// start < 0, end < start, ...).
std::string write_midi_bytes(const Song& song);

// Writes the bytes atomically (temporary file, then rename); errors name path.
void write_midi_file(const Song& song, const std::string& path);

}  // namespace acc::midi
