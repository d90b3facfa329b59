// Choosing corpus pairs, parsing --indices, picking the source part of a MIDI
// file, cutting it into windows and stitching generated windows back.
#include <gtest/gtest.h>

#include <set>

#include "accompanist/generate/output.h"
#include "accompanist/generate/sources.h"
#include "accompanist/util/error.h"

namespace {

using namespace acc::generate;
using acc::midi::Note;

TEST(Sources, ChooseIndicesIsASeededSample) {
  const auto a = choose_indices(100, 10, 7);
  EXPECT_EQ(a.size(), 10u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<size_t>(a.begin(), a.end()).size(), 10u);
  for (size_t i : a) EXPECT_LT(i, 100u);
  EXPECT_EQ(a, choose_indices(100, 10, 7));
  EXPECT_NE(a, choose_indices(100, 10, 8));
  const auto all = choose_indices(5, 5, 1);
  EXPECT_EQ(all, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_THROW(choose_indices(5, 6, 1), acc::Error);
  EXPECT_THROW(choose_indices(5, 0, 1), acc::Error);
  // Every index is reachable (no bias to the start).
  std::set<size_t> seen;
  for (uint64_t s = 0; s < 200; ++s)
    for (size_t i : choose_indices(20, 2, s)) seen.insert(i);
  EXPECT_EQ(seen.size(), 20u);
}

TEST(Sources, ParseIndices) {
  EXPECT_EQ(parse_indices("3,7,9", 10), (std::vector<size_t>{3, 7, 9}));
  EXPECT_EQ(parse_indices("0", 1), (std::vector<size_t>{0}));
  for (const char* bad : {"", "3,,4", "a", "-1", "3,10", "1,1", "1.5", " 2", "3,"})
    EXPECT_THROW(parse_indices(bad, 10), acc::Error) << bad;
}

TEST(Sources, WindowsCutAndStitch) {
  const std::vector<Note> notes = {{40, 90, 0, 100}, {41, 90, 950, 1100}, {42, 90, 1000, 1010}, {43, 90, 2500, 2600}};
  const auto w = cut_into_windows(notes, 1000);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], (std::vector<Note>{{40, 90, 0, 100}, {41, 90, 950, 1000}}));  // clipped at the window end
  EXPECT_EQ(w[1], (std::vector<Note>{{42, 90, 0, 10}}));
  EXPECT_EQ(w[2], (std::vector<Note>{{43, 90, 500, 600}}));
  const auto back = stitch_windows(w, 1000);
  EXPECT_EQ(back,
            (std::vector<Note>{{40, 90, 0, 100}, {41, 90, 950, 1000}, {42, 90, 1000, 1010}, {43, 90, 2500, 2600}}));
  // Notes decoded past their window are dropped, ends clipped.
  EXPECT_EQ(stitch_windows({{{50, 80, 1200, 1300}, {51, 80, 900, 1500}}}, 1000),
            (std::vector<Note>{{51, 80, 900, 1000}}));
  EXPECT_TRUE(cut_into_windows({}, 1000).empty());
}

TEST(Sources, Rescale) {
  EXPECT_EQ(rescale_tick(480, 480, 384), 384);
  EXPECT_EQ(rescale_tick(1, 480, 384), 1);  // 0.8 rounds to 1
  EXPECT_EQ(rescale_tick(96, 96, 384), 384);
  EXPECT_EQ(rescale_tick(int64_t(1) << 40, 960, 384), (int64_t(1) << 40) * 2 / 5);
  EXPECT_EQ(rescale_notes({{60, 100, 240, 480}}, 480, 384), (std::vector<Note>{{60, 100, 192, 384}}));
}

TEST(Sources, SourcePart) {
  acc::midi::Song song;
  song.parts = {{1, 0, 0, false, "piano", {{60, 90, 0, 10}}},
                {2, 1, 33, false, "bass", {{36, 90, 0, 10}}},
                {3, 2, 4, false, "epiano", {{64, 90, 5, 10}}},
                {4, 9, 0, true, "drums", {{36, 90, 0, 10}}}};
  const auto families = acc::midi::default_family_programs();
  EXPECT_EQ(choose_source_part(song, "", "piano", families, "f").notes.size(), 2u);  // two piano parts merged
  EXPECT_EQ(choose_source_part(song, "", "bass", families, "f").notes.size(), 1u);
  EXPECT_EQ(choose_source_part(song, "3:2", "bass", families, "f").notes, (std::vector<Note>{{64, 90, 5, 10}}));
  EXPECT_THROW(choose_source_part(song, "5:0", "piano", families, "f"), acc::Error);
  EXPECT_THROW(choose_source_part(song, "x", "piano", families, "f"), acc::Error);
  EXPECT_THROW(choose_source_part(song, "1:16", "piano", families, "f"), acc::Error);
  song.parts.resize(1);
  EXPECT_THROW(choose_source_part(song, "", "bass", families, "f"), acc::Error);
  EXPECT_EQ(family_program("bass", families), 32);
  EXPECT_EQ(sample_file_name(7, "mid"), "0007.mid");
  EXPECT_EQ(sample_file_name(12345, "mid"), "12345.mid");
}

}  // namespace
