// Harmony of a part against the chords of the part it accompanies (issue 13):
// the chord of every source bar by template matching on the bar's
// duration-weighted chroma, and per bar whether the part plays the chord's
// root at its first onset, how much of its note time lies on chord tones and
// whether it plays at all. Definitions and the tie rule: docs/evaluation.md.
//
// Bars are 4 beats (time signatures ignored, as in rhythm.h); note time is
// clipped to each bar, so a note across a bar line counts in both bars.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "accompanist/midi/chord.h"
#include "accompanist/midi/song.h"

namespace acc::eval {

// The chord estimate lives in midi/chord.h (shared with the model's chord
// conditioning); its names are used here unqualified.
using midi::bar_chords;
using midi::bar_chromas;
using midi::BarChroma;
using midi::Chord;
using midi::chord_intervals;
using midi::chord_name;
using midi::ChordQuality;
using midi::kNumChordQualities;
using midi::make_chord;
using midi::match_chord;

// One part against the source chords, bar by bar over the chords' bars.
struct PartHarmony {
  // Per bar: 1 when the lowest of the notes at the part's first onset in the
  // bar has the chord root's pitch class, 0 when not, -1 when the bar is not
  // counted (no chord, or no onset of the part in the bar).
  std::vector<int> root_match;
  int64_t root_bars = 0;    // bars counted for root agreement
  int64_t root_hits = 0;    // of which the root matched
  int64_t chord_time = 0;   // part note ticks inside bars with a chord
  int64_t tone_time = 0;    // of which on a chord tone
  int64_t filled_bars = 0;  // bars with at least one onset of the part
  std::optional<double> root_agreement() const;
  std::optional<double> chord_tone_rate() const;
};

// chords.size() bars; notes with a negative onset or an onset past the last
// bar are ignored for onsets, and note time past the last bar is clipped.
PartHarmony part_harmony(const std::vector<std::optional<Chord>>& chords, const std::vector<midi::Note>& part,
                         int ticks_per_quarter);

// The pitch baseline: the part's notes with the same onsets and durations,
// each pitch drawn uniformly from the part's own range [lowest, highest]
// (seeded, independent of the platform).
std::vector<midi::Note> random_pitch_part(const std::vector<midi::Note>& part, uint64_t seed);

}  // namespace acc::eval
