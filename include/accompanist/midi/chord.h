// Chords of a part, bar by bar: the duration-weighted pitch-class profile
// (chroma) of each 4-beat bar and the chord template that matches it best.
// One definition shared by the evaluation (harmony measures, eval/harmony.h)
// and the model's chord conditioning (tokenizer/bar_chords.h), so that what a
// model is conditioned on is exactly what it is measured against.
// Definitions and the tie rule: docs/evaluation.md.
//
// Bars are 4 beats (time signatures ignored); note time is clipped to each
// bar, so a note across a bar line counts in both bars.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::midi {

// Chord templates, in the tie order (simpler first: triads, then sevenths).
enum class ChordQuality : int {
  kMajor = 0,
  kMinor,
  kSus4,
  kDiminished,
  kAugmented,
  kDominant7,
  kMajor7,
  kMinor7,
};
constexpr int kNumChordQualities = 8;

struct Chord {
  int root = 0;  // pitch class 0..11 (C = 0)
  ChordQuality quality = ChordQuality::kMajor;
  uint16_t pitch_classes = 0;  // bit pc set for each chord tone
  bool contains(int pitch_class) const { return pitch_classes >> pitch_class & 1u; }
  friend bool operator==(const Chord& a, const Chord& b) { return a.root == b.root && a.quality == b.quality; }
};

// Intervals above the root of a quality's template ({0, 4, 7} for major).
const std::vector<int>& chord_intervals(ChordQuality quality);
// The chord of a root and quality, with its pitch classes.
Chord make_chord(int root, ChordQuality quality);
// "C", "Cm", "Csus4", "Cdim", "Caug", "C7", "Cmaj7", "Cm7" (sharps only: "C#m").
std::string chord_name(const Chord& chord);

// Ticks each pitch class sounds inside a bar (exact integers).
using BarChroma = std::array<int64_t, 12>;

// Per bar [0, num_bars): the sounding ticks of each pitch class, note time
// clipped to the bar (notes with end <= start add nothing).
std::vector<BarChroma> bar_chromas(const std::vector<midi::Note>& notes, int ticks_per_quarter, int64_t num_bars);

// The best template for a chroma: highest cosine similarity between the
// chroma and the binary template; ties (exact: compared in integers) go to the
// template with fewer notes, then the earlier quality in ChordQuality, then the
// root that sounds longer in the chroma, then the lower root. nullopt for an
// all-zero chroma (a bar without source notes has no chord).
std::optional<Chord> match_chord(const BarChroma& chroma);

// match_chord of every bar [0, num_bars).
std::vector<std::optional<Chord>> bar_chords(const std::vector<midi::Note>& source, int ticks_per_quarter,
                                             int64_t num_bars);

// Chord ids for models: 0 = no chord (a bar without notes, or past the
// source), 1 + root * kNumChordQualities + quality otherwise.
constexpr int kNumChordIds = 1 + 12 * kNumChordQualities;
int chord_id(const std::optional<Chord>& chord);

}  // namespace acc::midi
