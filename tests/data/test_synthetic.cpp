// The synthetic generator: deterministic, varied, and with the structure it
// promises (bass on the chord roots at chord changes, piano on chord tones).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "accompanist/data/prep_config.h"
#include "accompanist/data/snippets.h"
#include "accompanist/data/synthetic_song.h"
#include "accompanist/midi/families.h"
#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/util/error.h"
#include "data/test_util.h"

using acc::data::make_synthetic_song;
using acc::data::SyntheticSong;
using acc::midi::Note;
using acc::midi::Part;

namespace {

std::vector<const Part*> parts_of(const SyntheticSong& s, const std::string& family) {
  return acc::midi::family_parts(s.song, family, acc::midi::default_family_programs());
}

TEST(Synthetic, Deterministic) {
  SyntheticSong a = make_synthetic_song(7, 3), b = make_synthetic_song(7, 3), c = make_synthetic_song(7, 4),
                d = make_synthetic_song(8, 3);
  ASSERT_EQ(a.song.parts.size(), b.song.parts.size());
  for (size_t i = 0; i < a.song.parts.size(); ++i) EXPECT_EQ(a.song.parts[i].notes, b.song.parts[i].notes);
  EXPECT_EQ(a.relative_path, "artist_000/song_00003.mid");
  EXPECT_EQ(c.relative_path, "artist_000/song_00004.mid");
  EXPECT_NE(acc::midi::write_midi_bytes(a.song), acc::midi::write_midi_bytes(c.song));
  EXPECT_NE(acc::midi::write_midi_bytes(a.song), acc::midi::write_midi_bytes(d.song));
}

TEST(Synthetic, VariedSet) {
  std::set<int> tpqs, keys, bars;
  std::set<std::string> piano_patterns, bass_patterns;
  int minor = 0, drums = 0, split_piano = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    SyntheticSong s = make_synthetic_song(1, i);
    tpqs.insert(s.info.ticks_per_quarter);
    keys.insert(s.info.key);
    bars.insert(s.info.bars);
    piano_patterns.insert(s.info.piano_pattern);
    bass_patterns.insert(s.info.bass_pattern);
    minor += s.info.minor;
    EXPECT_EQ(s.song.ticks_per_quarter, s.info.ticks_per_quarter);
    ASSERT_GE(parts_of(s, "piano").size(), 1u);
    ASSERT_EQ(parts_of(s, "bass").size(), 1u);
    split_piano += parts_of(s, "piano").size() > 1;
    for (const Part& p : s.song.parts) drums += p.is_drum;
  }
  for (int t : {96, 220, 480, 960}) EXPECT_TRUE(tpqs.count(t)) << t;
  EXPECT_EQ(keys.size(), 12u);
  EXPECT_GT(bars.size(), 30u);
  EXPECT_EQ(piano_patterns.size(), 5u);
  EXPECT_EQ(bass_patterns.size(), 5u);
  EXPECT_GT(minor, 60);
  EXPECT_GT(drums, 40);
  EXPECT_GT(split_piano, 30);
}

TEST(Synthetic, BassPlaysRootsAndPianoPlaysChordTones) {
  for (uint64_t i = 0; i < 60; ++i) {
    SCOPED_TRACE(i);
    SyntheticSong s = make_synthetic_song(5, i);
    const auto& info = s.info;
    ASSERT_GT(info.chord_ticks, 0);
    auto chord_at = [&](int64_t tick) {
      size_t k = size_t((tick + info.max_jitter) / info.chord_ticks);
      return info.chords.at(std::min(k, info.chords.size() - 1));
    };
    // Every bass note at a chord change is the chord's root.
    const Part* bass = parts_of(s, "bass")[0];
    int at_changes = 0;
    for (const Note& n : bass->notes) {
      int64_t offset = (n.start + info.max_jitter) % info.chord_ticks;
      if (offset > 2 * info.max_jitter) continue;
      ++at_changes;
      EXPECT_EQ(n.pitch % 12, chord_at(n.start)[0]) << "bass note at " << n.start;
      EXPECT_GE(n.pitch, 28);
      EXPECT_LE(n.pitch, 52);
    }
    EXPECT_GT(at_changes, 0);
    // Every piano note is a tone of the chord sounding at its onset.
    for (const Part* p : parts_of(s, "piano"))
      for (const Note& n : p->notes) {
        auto chord = chord_at(n.start);
        EXPECT_TRUE(std::find(chord.begin(), chord.end(), n.pitch % 12) != chord.end()) << "piano note at " << n.start;
      }
  }
}

// The chords style: one triad a bar, the bass on its root at every bar start,
// the piano's lowest note following the stated inversion, and all three
// inversions across the set.
TEST(Synthetic, ChordsStyleOneTriadABarWithInversions) {
  std::set<int> inversions;
  for (uint64_t i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    SyntheticSong s = make_synthetic_song(5, i, acc::data::SynthStyle::kChords);
    const auto& info = s.info;
    const int64_t bar = 4 * int64_t(info.ticks_per_quarter);
    ASSERT_EQ(info.chord_ticks, bar);
    ASSERT_EQ(info.chords.size(), size_t(info.bars));
    ASSERT_EQ(info.inversions.size(), info.chords.size());
    for (const auto& c : info.chords) {
      ASSERT_EQ(c.size(), 3u);
      const int third = (c[1] - c[0] + 12) % 12, fifth = (c[2] - c[0] + 12) % 12;
      EXPECT_TRUE((third == 3 || third == 4) && fifth == 7) << "not a major or minor triad";
    }
    inversions.insert(info.inversions.begin(), info.inversions.end());
    // The bass opens every bar it plays in on the root.
    const Part* bass = parts_of(s, "bass")[0];
    std::map<int64_t, const Note*> first;
    for (const Note& n : bass->notes) {
      const int64_t b = (n.start + info.max_jitter) / bar;
      if (!first.count(b) || n.start < first[b]->start) first[b] = &n;
    }
    ASSERT_FALSE(first.empty());
    for (auto [b, n] : first) EXPECT_EQ(n->pitch % 12, info.chords[size_t(b)][0]) << "bar " << b;
    // The right hand's lowest note at each bar start is the inversion's chord
    // tone (the left hand, when there is one, plays below 52).
    std::map<int64_t, int> lowest;
    for (const Part* piano : parts_of(s, "piano"))
      for (const Note& n : piano->notes) {
        const int64_t b = (n.start + info.max_jitter) / bar;
        if (n.pitch < 52 || (n.start + info.max_jitter) % bar > 2 * info.max_jitter) continue;
        lowest[b] = lowest.count(b) ? std::min(lowest[b], n.pitch) : n.pitch;
      }
    ASSERT_FALSE(lowest.empty());
    for (auto [b, pitch] : lowest)
      EXPECT_EQ(pitch % 12, info.chords[size_t(b)][size_t(info.inversions[size_t(b)])]) << "bar " << b;
  }
  EXPECT_EQ(inversions, (std::set<int>{0, 1, 2}));
  EXPECT_THROW(acc::data::parse_synth_style("jazz"), acc::Error);
  EXPECT_EQ(acc::data::parse_synth_style("chords"), acc::data::SynthStyle::kChords);
}

TEST(Synthetic, SurvivesTheMidiRoundTripAndGivesPairs) {
  acc::data::PrepConfig cfg;
  uint64_t pairs = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    SyntheticSong s = make_synthetic_song(9, i);
    std::string bytes = acc::midi::write_midi_bytes(s.song);
    acc::midi::Song back = acc::midi::parse_midi(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    EXPECT_EQ(back.ticks_per_quarter, s.song.ticks_per_quarter);
    ASSERT_EQ(back.parts.size(), s.song.parts.size());
    for (const Part& p : s.song.parts) {
      auto it = std::find_if(back.parts.begin(), back.parts.end(), [&](const Part& q) {
        return q.channel == p.channel && q.program == p.program && q.track == p.track;
      });
      ASSERT_NE(it, back.parts.end());
      EXPECT_EQ(it->notes, p.notes);
    }
    auto snippets = acc::data::extract_snippets(back, cfg);
    pairs += snippets.pairs.size();
  }
  EXPECT_GT(pairs, 20u);
}

TEST(Synthetic, WritesASet) {
  acc::data::testing::ScratchDir dir("synth");
  auto paths = acc::data::write_synthetic_set(dir.path().string(), 25, 3, 2);
  ASSERT_EQ(paths.size(), 25u);
  EXPECT_EQ(paths[24], "artist_002/song_00024.mid");
  for (const auto& p : paths) EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / p)) << p;
  auto song = acc::midi::read_midi_file((dir.path() / paths[7]).string());
  EXPECT_EQ(song.ticks_per_quarter, make_synthetic_song(3, 7).song.ticks_per_quarter);
}

}  // namespace
