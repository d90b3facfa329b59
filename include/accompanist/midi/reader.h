// Standard MIDI File reader (SPEC section 2): tolerant of what real files
// contain, bounded in time and memory on any input. See docs/midi.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "accompanist/midi/song.h"

namespace acc::midi {

// Inputs larger than this are refused: real songs are well under 1 MB, and
// the cap bounds the memory any file can make the reader allocate.
constexpr uint64_t kMaxMidiFileBytes = uint64_t(64) << 20;
// At most this many notes (and open notes) per file; beyond it the file is refused.
constexpr size_t kMaxMidiNotes = size_t(4) << 20;

// Parses SMF bytes (optionally inside a RIFF RMID wrapper). Throws
// acc::Error("<memory>", reason) when the bytes are not a usable MIDI file;
// tolerated problems are listed in Song::warnings. Parts are sorted by
// (track, channel, program), notes in each part by (start, pitch, end, velocity).
Song parse_midi(const uint8_t* data, size_t size);

// As parse_midi, naming `what` in errors (a path, "<memory>", ...).
Song parse_midi(const uint8_t* data, size_t size, const std::string& what);

// Reads and parses a file; errors are acc::Error(path, reason).
Song read_midi_file(const std::string& path);

}  // namespace acc::midi
