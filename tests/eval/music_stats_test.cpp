#include "accompanist/eval/music_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace acc::eval {
namespace {

midi::Note note(int pitch, int64_t start, int64_t end) {
  return {pitch, 100, start, end};
}

TEST(MusicStats, UndefinedWithoutNotes) {
  EXPECT_FALSE(pitch_range({}).has_value());
  EXPECT_FALSE(pitch_class_entropy({}).has_value());
  EXPECT_FALSE(scale_consistency({}).has_value());
  EXPECT_FALSE(polyphony({}).has_value());
  EXPECT_FALSE(notes_per_onset({}).has_value());
  EXPECT_FALSE(groove_consistency({0x1u}).has_value());
  EXPECT_FALSE(chroma_agreement({note(60, 0, 10)}, {}, 384, 1).has_value());
  EXPECT_FALSE(mean_defined({std::nullopt}).has_value());
}

TEST(MusicStats, HandComputedValues) {
  const std::vector<midi::Note> notes = {note(40, 0, 100), note(52, 0, 100), note(47, 50, 150), note(66, 400, 500)};
  EXPECT_DOUBLE_EQ(*pitch_range(notes), 26.0);
  // Pitch classes 4, 4, 11, 6: p = 1/2, 1/4, 1/4 -> 1.5 bits.
  EXPECT_DOUBLE_EQ(*pitch_class_entropy(notes), 1.5);
  // E, E, B, F#: all in E minor (and G major, D major, ...).
  EXPECT_DOUBLE_EQ(*scale_consistency(notes), 1.0);
  // Lengths 100 + 100 + 100 + 100 over the union [0, 150) + [400, 500) = 250.
  EXPECT_DOUBLE_EQ(*polyphony(notes), 400.0 / 250.0);
  // Onsets 0 (two notes), 50, 400.
  EXPECT_DOUBLE_EQ(*notes_per_onset(notes), 4.0 / 3.0);
  EXPECT_DOUBLE_EQ(*notes_per_onset({note(40, 0, 10), note(43, 10, 20)}), 1.0);
  // C, C#, D: no major or natural-minor scale holds three semitones in a row.
  EXPECT_DOUBLE_EQ(*scale_consistency({note(60, 0, 1), note(61, 0, 1), note(62, 0, 1)}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*pitch_class_entropy({note(60, 0, 1), note(72, 5, 9)}), 0.0);
}

TEST(MusicStats, GrooveConsistency) {
  // Identical bars: 1. One differing position between two bars: 1 - 1/32.
  EXPECT_DOUBLE_EQ(*groove_consistency({0x10001u, 0x10001u, 0x10001u}), 1.0);
  EXPECT_DOUBLE_EQ(*groove_consistency({0x10001u, 0x1u}), 1.0 - 1.0 / 32.0);
  EXPECT_DOUBLE_EQ(*groove_consistency({0u, ~0u}), 0.0);
}

TEST(MusicStats, ChromaAgreement) {
  const int tpq = 384, bar = 4 * tpq;
  // Bar 0: both play C (same chroma) -> 1. Bar 1: C against G -> 0. Bar 2:
  // only one part -> left out. Mean 0.5.
  const std::vector<midi::Note> a = {note(48, 0, bar), note(48, bar, 2 * bar), note(50, 2 * bar, 3 * bar)};
  const std::vector<midi::Note> b = {note(72, 0, 100), note(67, bar, bar + 100)};
  EXPECT_DOUBLE_EQ(*chroma_agreement(a, b, tpq, 3), 0.5);
  // A note over a bar line sounds in both bars.
  const std::vector<midi::Note> c = {note(60, bar - 100, bar + 100)};
  const std::vector<midi::Note> d = {note(60, 0, 10), note(60, bar, bar + 10)};
  EXPECT_DOUBLE_EQ(*chroma_agreement(c, d, tpq, 2), 1.0);
  // C+E against C: cosine = 1 / sqrt(2) (equal lengths).
  EXPECT_NEAR(*chroma_agreement({note(60, 0, 10), note(64, 0, 10)}, {note(48, 0, 50)}, tpq, 1), 1.0 / std::sqrt(2.0),
              1e-12);
}

}  // namespace
}  // namespace acc::eval
