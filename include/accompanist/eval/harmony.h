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

#include "accompanist/midi/song.h"

namespace acc::eval {

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
