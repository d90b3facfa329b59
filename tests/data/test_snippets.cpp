// Section 3 on hand-made songs where the expected windows are known.
#include <gtest/gtest.h>

#include "accompanist/data/snippets.h"

using acc::data::cut_windows;
using acc::data::extract_snippets;
using acc::data::PrepConfig;
using acc::data::SnippetPair;
using acc::data::transpose_notes;
using acc::midi::Note;
using acc::midi::Part;
using acc::midi::Song;

namespace {

Part part(int track, int channel, int program, std::vector<Note> notes, bool drum = false) {
  Part p;
  p.track = track;
  p.channel = channel;
  p.program = program;
  p.is_drum = drum;
  p.notes = std::move(notes);
  return p;
}

TEST(Snippets, WindowsClipAndRebase) {
  PrepConfig cfg;
  cfg.window_beats = 4;       // one bar, so the numbers stay small
  const int64_t W = 4 * 100;  // tpq 100
  std::vector<Note> src = {
      {60, 80, 0, 100},      // window 0
      {62, 80, 350, 500},    // window 0, end clipped to 400
      {64, 80, 400, 450},    // window 1 at 0
      {65, 80, 1250, 1300},  // window 3
  };
  std::vector<Note> tgt = {
      {40, 90, 10, 900},     // window 0, clipped to 400
      {41, 90, 399, 401},    // window 0
      {43, 90, 1200, 1210},  // window 3
  };
  acc::data::WindowStats stats;
  std::vector<SnippetPair> w = cut_windows(src, tgt, W, cfg, &stats);
  EXPECT_EQ(stats.windows, 4u);
  EXPECT_EQ(stats.dropped_sparse, 2u);  // window 1 has no target, window 2 nothing
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].window, 0u);
  EXPECT_EQ(w[0].source, (std::vector<Note>{{60, 80, 0, 100}, {62, 80, 350, 400}}));
  EXPECT_EQ(w[0].target, (std::vector<Note>{{40, 90, 10, 400}, {41, 90, 399, 400}}));
  EXPECT_EQ(w[1].window, 3u);
  EXPECT_EQ(w[1].source, (std::vector<Note>{{65, 80, 50, 100}}));
  EXPECT_EQ(w[1].target, (std::vector<Note>{{43, 90, 0, 10}}));
}

TEST(Snippets, MinNotesCountsOnlyTokenizablePitches) {
  PrepConfig cfg;
  cfg.window_beats = 4;
  std::vector<Note> src = {{60, 80, 0, 10}, {62, 80, 20, 30}};
  std::vector<Note> tgt = {{10, 80, 0, 10}, {40, 80, 20, 30}};  // pitch 10 is dropped by REMI
  EXPECT_EQ(cut_windows(src, tgt, 400, cfg).size(), 1u);
  cfg.min_notes = 2;
  EXPECT_EQ(cut_windows(src, tgt, 400, cfg).size(), 0u);
  std::vector<Note> only_low = {{15, 80, 0, 10}};
  cfg.min_notes = 1;
  EXPECT_EQ(cut_windows(src, only_low, 400, cfg).size(), 0u);
}

TEST(Snippets, DensityFilter) {
  PrepConfig cfg;
  cfg.window_beats = 8;  // two bars
  std::vector<Note> src, tgt = {{40, 80, 0, 10}, {40, 80, 400, 410}};
  for (int i = 0; i < 10; ++i) src.push_back({60 + i, 80, i * 10, i * 10 + 5});
  EXPECT_EQ(cut_windows(src, tgt, 800, cfg).size(), 1u);
  cfg.filter.max_notes_per_bar = 4;  // source has 5 a bar
  acc::data::WindowStats stats;
  EXPECT_EQ(cut_windows(src, tgt, 800, cfg, &stats).size(), 0u);
  EXPECT_EQ(stats.dropped_density, 1u);
  cfg.filter.max_notes_per_bar = 0;
  cfg.filter.min_notes_per_bar = 1.5;  // target has 1 a bar
  EXPECT_EQ(cut_windows(src, tgt, 800, cfg).size(), 0u);
}

TEST(Snippets, FamiliesMergeAndLargest) {
  Song song;
  song.ticks_per_quarter = 10;
  song.parts.push_back(part(1, 0, 0, {{60, 80, 0, 10}, {64, 80, 0, 10}}));  // piano
  song.parts.push_back(part(2, 1, 4, {{72, 80, 5, 10}}));                   // electric piano
  song.parts.push_back(part(3, 2, 33, {{40, 80, 0, 10}}));                  // bass
  song.parts.push_back(part(4, 9, 33, {{36, 80, 0, 10}}, true));            // drums with a bass program
  song.parts.push_back(part(5, 3, 40, {{50, 80, 0, 10}}));                  // violin: no family

  PrepConfig cfg;
  auto merged = extract_snippets(song, cfg);
  ASSERT_TRUE(merged.skip_reason.empty()) << merged.skip_reason;
  ASSERT_EQ(merged.pairs.size(), 1u);
  EXPECT_EQ(merged.pairs[0].source, (std::vector<Note>{{60, 80, 0, 10}, {64, 80, 0, 10}, {72, 80, 5, 10}}));
  EXPECT_EQ(merged.pairs[0].target, (std::vector<Note>{{40, 80, 0, 10}}));  // the drum part is not bass

  cfg.merge = "largest";
  auto largest = extract_snippets(song, cfg);
  EXPECT_EQ(largest.pairs[0].source, (std::vector<Note>{{60, 80, 0, 10}, {64, 80, 0, 10}}));

  cfg.direction = "bass->piano";
  cfg.merge = "merge";
  auto reverse = extract_snippets(song, cfg);
  EXPECT_EQ(reverse.pairs[0].source, (std::vector<Note>{{40, 80, 0, 10}}));
  EXPECT_EQ(reverse.pairs[0].target.size(), 3u);

  Song no_bass = song;
  no_bass.parts.erase(no_bass.parts.begin() + 2);
  EXPECT_EQ(extract_snippets(no_bass, PrepConfig()).skip_reason, "no bass part");
  Song empty_bass = song;
  empty_bass.parts[2].notes.clear();
  EXPECT_EQ(extract_snippets(empty_bass, PrepConfig()).skip_reason, "no bass part");
  Song no_piano = song;
  no_piano.parts.erase(no_piano.parts.begin(), no_piano.parts.begin() + 2);
  EXPECT_EQ(extract_snippets(no_piano, PrepConfig()).skip_reason, "no piano part");

  // Parts that never play in the same window.
  Song apart;
  apart.ticks_per_quarter = 10;
  apart.parts.push_back(part(1, 0, 0, {{60, 80, 0, 10}}));
  apart.parts.push_back(part(2, 1, 32, {{40, 80, 960, 970}}));
  EXPECT_EQ(extract_snippets(apart, PrepConfig()).skip_reason, "no window with both parts");
}

TEST(Snippets, WindowLengthFollowsTheFileResolution) {
  Song song;
  song.ticks_per_quarter = 96;
  const int64_t W = 96 * 96;
  song.parts.push_back(part(1, 0, 0, {{60, 80, 0, 96}, {60, 80, W, W + 96}, {61, 80, 2 * W + 5, 3 * W + 100}}));
  song.parts.push_back(part(2, 1, 32, {{40, 80, 0, 96}, {40, 80, W - 1, W + 50}, {41, 80, 2 * W, 2 * W + 1}}));
  auto s = extract_snippets(song, PrepConfig());
  ASSERT_EQ(s.pairs.size(), 2u);  // window 1 has a piano note but no bass onset
  EXPECT_EQ(s.stats.windows, 3u);
  EXPECT_EQ(s.pairs[0].target[1], (Note{40, 80, W - 1, W}));
  EXPECT_EQ(s.pairs[1].window, 2u);
  EXPECT_EQ(s.pairs[1].source[0], (Note{61, 80, 5, W}));
}

TEST(Snippets, Transpose) {
  std::vector<Note> notes = {{21, 80, 0, 10}, {60, 80, 0, 10}, {10, 80, 0, 10}};
  auto up = transpose_notes(notes, 5);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(*up, (std::vector<Note>{{26, 80, 0, 10}, {65, 80, 0, 10}}));  // pitch 10 left out
  EXPECT_FALSE(transpose_notes(notes, -1).has_value());                   // 21 -> 20
  EXPECT_FALSE(transpose_notes({{108, 80, 0, 1}}, 1).has_value());
  EXPECT_TRUE(transpose_notes({{108, 80, 0, 1}}, -87).has_value());
}

}  // namespace
