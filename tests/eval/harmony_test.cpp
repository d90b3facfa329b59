// Harmony measures on hand-made bars whose chords and figures are known.
// Ticks per quarter 4: a bar is 16 ticks, a beat 4.
#include "accompanist/eval/harmony.h"

#include <gtest/gtest.h>

#include <set>

#include "accompanist/util/error.h"
#include "eval/harmony_report.h"

namespace acc::eval {
namespace {

constexpr int kTpq = 4;
constexpr int64_t kBar = 16;

midi::Note note(int pitch, int64_t start, int64_t length) {
  return {pitch, 100, start, start + length};
}

// Notes of a chord held from start for length ticks.
void add_chord(std::vector<midi::Note>& notes, std::initializer_list<int> pitches, int64_t start, int64_t length) {
  for (int p : pitches) notes.push_back(note(p, start, length));
}

std::string chord_of(const std::vector<midi::Note>& notes) {
  const auto chords = bar_chords(notes, kTpq, 1);
  return chords[0] ? chord_name(*chords[0]) : "none";
}

TEST(Harmony, TemplatesAndNames) {
  const Chord c = make_chord(0, ChordQuality::kMajor);
  EXPECT_EQ(c.pitch_classes, (1u << 0) | (1u << 4) | (1u << 7));
  EXPECT_TRUE(c.contains(4));
  EXPECT_FALSE(c.contains(3));
  EXPECT_EQ(chord_name(c), "C");
  EXPECT_EQ(chord_name(make_chord(9, ChordQuality::kMinor)), "Am");
  EXPECT_EQ(chord_name(make_chord(7, ChordQuality::kDominant7)), "G7");
  EXPECT_EQ(chord_name(make_chord(1, ChordQuality::kMinor7)), "C#m7");
  EXPECT_EQ(chord_name(make_chord(6, ChordQuality::kDiminished)), "F#dim");
  EXPECT_EQ(chord_name(make_chord(10, ChordQuality::kAugmented)), "A#aug");
  EXPECT_EQ(chord_name(make_chord(5, ChordQuality::kMajor7)), "Fmaj7");
  EXPECT_EQ(chord_name(make_chord(2, ChordQuality::kSus4)), "Dsus4");
  EXPECT_EQ(make_chord(7, ChordQuality::kDominant7).pitch_classes, (1u << 7) | (1u << 11) | (1u << 2) | (1u << 5));
}

TEST(Harmony, ChordsOfKnownBars) {
  std::vector<midi::Note> bar;
  add_chord(bar, {60, 64, 67}, 0, kBar);  // C major, root position
  EXPECT_EQ(chord_of(bar), "C");
  bar.clear();
  add_chord(bar, {64, 67, 72}, 0, kBar);  // first inversion: still C
  EXPECT_EQ(chord_of(bar), "C");
  bar.clear();
  add_chord(bar, {57, 60, 64}, 0, kBar);
  EXPECT_EQ(chord_of(bar), "Am");
  bar.clear();
  add_chord(bar, {55, 59, 62, 65}, 0, kBar);
  EXPECT_EQ(chord_of(bar), "G7");
  bar.clear();
  add_chord(bar, {59, 62, 65}, 0, kBar);
  EXPECT_EQ(chord_of(bar), "Bdim");
  bar.clear();
  add_chord(bar, {60, 64, 68}, 0, kBar);  // augmented is symmetric: the lowest root of the three
  EXPECT_EQ(chord_of(bar), "Caug");
  bar.clear();
  EXPECT_EQ(chord_of(bar), "none");  // no source notes, no chord
  add_chord(bar, {52}, 0, kBar);     // a lone E: the triads holding E tie, its own root sounds longest
  EXPECT_EQ(chord_of(bar), "E");
  bar.clear();
  add_chord(bar, {60, 67}, 0, kBar);  // an open fifth: major before minor and sus4
  EXPECT_EQ(chord_of(bar), "C");
}

TEST(Harmony, TwoChordsInABar) {
  // C for three beats, G for one: C: 12 of C E G, G: 16, B and D: 4.
  std::vector<midi::Note> bar;
  add_chord(bar, {60, 64, 67}, 0, 12);
  add_chord(bar, {55, 59, 62}, 12, 4);
  EXPECT_EQ(chord_of(bar), "C");
  // Half and half: C and G tie (dot 32 over 3 template notes); Cmaj7 and Em7
  // score higher (dot 40 over 4), tie, and the earlier quality (maj7) takes it.
  bar.clear();
  add_chord(bar, {60, 64, 67}, 0, 8);
  add_chord(bar, {55, 59, 62}, 8, 8);
  EXPECT_EQ(chord_of(bar), "Cmaj7");
}

TEST(Harmony, ChromaClipsNotesToBars) {
  const std::vector<midi::Note> notes = {note(60, 12, 8), note(61, 40, 100), note(62, -4, 6), note(63, 5, 0)};
  const auto chroma = bar_chromas(notes, kTpq, 3);
  ASSERT_EQ(chroma.size(), 3u);
  EXPECT_EQ(chroma[0][0], 4);
  EXPECT_EQ(chroma[1][0], 4);
  EXPECT_EQ(chroma[2][1], 8);  // 40..48, the rest past the last bar
  EXPECT_EQ(chroma[0][2], 2);  // 0..2, before 0 ignored
  EXPECT_EQ(chroma[0][3], 0);  // zero length
  EXPECT_THROW(bar_chromas(notes, 0, 3), acc::Error);
}

// Six bars: C, C (first inversion), Am, no source notes, C + G (C), G.
struct Song {
  std::vector<midi::Note> source, bass;
  Song() {
    add_chord(source, {60, 64, 67}, 0, kBar);
    add_chord(source, {64, 67, 72}, kBar, kBar);
    add_chord(source, {57, 60, 64}, 2 * kBar, kBar);
    add_chord(source, {60, 64, 67}, 4 * kBar, 12);
    add_chord(source, {55, 59, 62}, 4 * kBar + 12, 4);
    add_chord(source, {55, 59, 62}, 5 * kBar, kBar);
    bass = {
        note(36, 0, 8),       note(43, 8, 8),   // bar 0: C then G, root
        note(40, kBar, kBar),                   // bar 1: E under C, not the root
        note(40, 32, 4),      note(33, 32, 4),  // bar 2: A and E at once, A lowest: root
        note(41, 36, 4),                        //        then F, off the chord
        note(38, 48, 24),                       // bar 3 (no chord) into bar 4 (rests, no onset)
        note(47, 80, 8),      note(31, 80, 8),  // bar 5: B and G at once, G lowest: root
        note(38, 88, 16),                       //        D past the last bar: clipped
    };
  }
};

TEST(Harmony, PartAgainstTheSourceChords) {
  const Song song;
  const auto chords = bar_chords(song.source, kTpq, 6);
  std::vector<std::string> names;
  for (const auto& c : chords) names.push_back(c ? chord_name(*c) : "-");
  EXPECT_EQ(names, (std::vector<std::string>{"C", "C", "Am", "-", "C", "G"}));

  const PartHarmony h = part_harmony(chords, song.bass, kTpq);
  EXPECT_EQ(h.root_match, (std::vector<int>{1, 0, 1, -1, -1, 1}));
  EXPECT_EQ(h.root_bars, 4);
  EXPECT_EQ(h.root_hits, 3);
  EXPECT_DOUBLE_EQ(*h.root_agreement(), 0.75);
  // Chord time: 16 + 16 + 12 + 8 (the D from bar 3) + 24; off the chord: F (4) and D in bar 4 (8).
  EXPECT_EQ(h.chord_time, 76);
  EXPECT_EQ(h.tone_time, 64);
  EXPECT_DOUBLE_EQ(*h.chord_tone_rate(), 64.0 / 76.0);
  EXPECT_EQ(h.filled_bars, 5);
}

TEST(Harmony, SilentPartAndNoChords) {
  const Song song;
  const auto chords = bar_chords(song.source, kTpq, 6);
  const PartHarmony silent = part_harmony(chords, {}, kTpq);
  EXPECT_FALSE(silent.root_agreement().has_value());
  EXPECT_FALSE(silent.chord_tone_rate().has_value());
  EXPECT_EQ(silent.filled_bars, 0);
  const PartHarmony no_chords = part_harmony(bar_chords({}, kTpq, 6), song.bass, kTpq);
  EXPECT_FALSE(no_chords.root_agreement().has_value());
  EXPECT_FALSE(no_chords.chord_tone_rate().has_value());
  EXPECT_EQ(no_chords.filled_bars, 5);
}

TEST(Harmony, RandomPitchPartKeepsRhythmAndRange) {
  const Song song;
  const auto a = random_pitch_part(song.bass, 1);
  const auto b = random_pitch_part(song.bass, 1);
  const auto c = random_pitch_part(song.bass, 2);
  ASSERT_EQ(a.size(), song.bass.size());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::set<int> pitches;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].start, song.bass[i].start);
    EXPECT_EQ(a[i].end, song.bass[i].end);
    EXPECT_GE(a[i].pitch, 31);
    EXPECT_LE(a[i].pitch, 47);
    pitches.insert(a[i].pitch);
  }
  EXPECT_GT(pitches.size(), 3u);
  EXPECT_TRUE(random_pitch_part({}, 1).empty());
}

TEST(HarmonyReport, PooledFiguresAndBaselines) {
  const Song song;
  std::vector<midi::Note> rest_bass = song.bass;  // plays bars 0-2 only
  rest_bass.erase(rest_bass.begin() + 5, rest_bass.end());
  std::vector<HarmonySample> samples = {{10, &song.source, &song.bass, &song.bass, 6},
                                        {11, &song.source, &song.bass, &rest_bass, 6}};
  HarmonyReportOptions options;
  options.ticks_per_quarter = kTpq;
  options.shuffles = 5;
  options.per_bar_samples = 1;
  const auto h = harmony_report(samples, options);
  // Reference: 3 of 4 bars twice. Generated: 3 of 4, then 2 of 3 (bars 0-2).
  EXPECT_DOUBLE_EQ(h["root_agreement"]["reference"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(h["root_agreement"]["generated"].get<double>(), 5.0 / 7.0);
  EXPECT_EQ(h["bars_counted"]["generated"], 7);
  EXPECT_EQ(h["bars_counted"]["reference"], 8);
  EXPECT_DOUBLE_EQ(h["chord_tone_rate"]["generated"].get<double>(), (64.0 + 40.0) / (76.0 + 40.0));
  EXPECT_DOUBLE_EQ(h["bars_filled"]["generated"].get<double>(), 8.0 / 10.0);
  EXPECT_DOUBLE_EQ(h["bars_filled"]["reference"].get<double>(), 1.0);
  EXPECT_EQ(h["bars_filled"]["mock"], h["bars_filled"]["generated"]);  // same onsets
  // Both samples share one source: any pairing gives the generated figures.
  EXPECT_DOUBLE_EQ(h["root_agreement"]["shuffled"].get<double>(), 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(h["bars_counted"]["shuffled"].get<double>(), 7.0);
  EXPECT_EQ(h["bars"], 12);
  EXPECT_EQ(h["chord_bars"], 10);
  ASSERT_EQ(h["per_sample"].size(), 2u);
  EXPECT_EQ(h["per_sample"][1]["index"], 11);
  EXPECT_DOUBLE_EQ(h["per_sample"][1]["root_agreement"].get<double>(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(h["per_sample"][1]["bars_filled"].get<double>(), 3.0 / 5.0);
  ASSERT_EQ(h["per_bar"].size(), 1u);
  EXPECT_EQ(h["per_bar"][0]["chords"].dump(), R"(["C","C","Am",null,"C","G"])");
  EXPECT_EQ(h["per_bar"][0]["generated"].dump(), "[true,false,true,null,null,true]");
}

}  // namespace
}  // namespace acc::eval
