// The in-memory form of a Standard MIDI File: parts (track, channel, program)
// with paired notes, plus the tempo and time-signature maps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acc::midi {

// A paired note; times in the file's ticks, end > start is not guaranteed
// (a zero-length note has end == start).
struct Note {
  int pitch = 0;     // 0..127
  int velocity = 0;  // 1..127
  int64_t start = 0;
  int64_t end = 0;
  friend bool operator==(const Note& a, const Note& b) {
    return a.pitch == b.pitch && a.velocity == b.velocity && a.start == b.start && a.end == b.end;
  }
};

// One instrument part: the notes of one (track, channel, program).
struct Part {
  int track = 0;    // index of the MTrk chunk (format 0: 0)
  int channel = 0;  // 0..15; 9 is drums
  int program = 0;  // GM program 0..127 (last program change before the notes)
  bool is_drum = false;
  std::string name;         // track name meta event, or empty
  std::vector<Note> notes;  // sorted by (start, pitch, end)
};

struct TempoChange {
  int64_t tick = 0;
  int us_per_quarter = 500000;  // 120 bpm
};

struct TimeSignature {
  int64_t tick = 0;
  int numerator = 4;
  int denominator = 4;
};

struct Song {
  int format = 1;
  int ticks_per_quarter = 480;
  std::vector<Part> parts;
  std::vector<TempoChange> tempos;  // empty: 120 bpm
  std::vector<TimeSignature> time_signatures;
  std::vector<std::string> warnings;  // tolerated problems (truncated chunk, ...)
};

}  // namespace acc::midi
