#include "accompanist/eval/rhythm.h"

#include <gtest/gtest.h>

#include <bitset>

#include "accompanist/midi/meter.h"
#include "accompanist/util/error.h"

namespace acc::eval {
namespace {

midi::Note note(int pitch, int64_t start, int64_t end) {
  return {pitch, 100, start, end};
}

TEST(Rhythm, ThesisExampleBar) {
  // Onsets on the downbeat and the third beat (tpq 384): the thesis's example.
  const std::vector<midi::Note> notes = {note(40, 0, 384), note(47, 768, 1152)};
  const auto bars = bar_masks(notes, 384, 1);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(rhythm_string(bars[0]), "10000000000000001000000000000000");
}

TEST(Rhythm, KnownBarsAtOtherResolutions) {
  // tpq 480: a 32nd-grid step is 60 ticks. Bar 0: positions 0 (chord of two),
  // 1, 7 and 31; bar 1 empty; bar 2: position 12 (beat 2, half a beat in).
  const std::vector<midi::Note> notes = {note(60, 0, 100),   note(64, 0, 100),     note(62, 60, 100),
                                         note(65, 420, 500), note(67, 1860, 1900), note(69, 2 * 1920 + 720, 5000)};
  const auto bars = bar_masks(notes, 480, midi::bar_count(notes, 480));
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(rhythm_string(bars[0]), "11000001000000000000000000000001");
  EXPECT_EQ(rhythm_string(bars[1]), std::string(32, '0'));
  EXPECT_EQ(rhythm_string(bars[2]), "00000000000010000000000000000000");
  EXPECT_EQ(notes_per_bar(notes, 480, 3), (std::vector<int>{5, 0, 1}));
  EXPECT_DOUBLE_EQ(empty_bar_rate(bars), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(mean_onsets_per_bar(bars), 5.0 / 3.0);
  // tpq 100 (not a multiple of 8): position = floor(8 * 37 / 100) = 2.
  EXPECT_EQ(note_position(37, 100).position, 2);
  EXPECT_EQ(note_position(399, 100).position, 31);
  EXPECT_EQ(note_position(400, 100).bar, 1);
}

TEST(Rhythm, MoreBarsThanNotesAndNotesPastTheEnd) {
  const std::vector<midi::Note> notes = {note(40, 1536 * 3, 1536 * 3 + 10)};
  const auto bars = bar_masks(notes, 384, 2);  // the note is past bar 1: ignored
  EXPECT_EQ(bars, (std::vector<BarMask>{0, 0}));
  EXPECT_EQ(bar_masks({}, 384, 3).size(), 3u);
}

TEST(Rhythm, StringsRoundTripAndRejectBadText) {
  EXPECT_EQ(parse_rhythm_string("10000000000000001000000000000000"), (1u << 0) | (1u << 16));
  EXPECT_EQ(rhythm_string(parse_rhythm_string("01010000000000000000000000000011")), "01010000000000000000000000000011");
  EXPECT_THROW(parse_rhythm_string("101"), acc::Error);
  EXPECT_THROW(parse_rhythm_string(std::string(31, '0') + "2"), acc::Error);
  EXPECT_THROW(bar_masks({}, 0, 1), acc::Error);
}

TEST(Rhythm, PositionHistogramIsPerBar) {
  const std::vector<BarMask> bars = {parse_rhythm_string("10000000000000001000000000000000"),
                                     parse_rhythm_string("10001000000000000000000000000000"), 0u, 0u};
  const PositionHistogram h = position_histogram(bars);
  EXPECT_DOUBLE_EQ(h[0], 0.5);
  EXPECT_DOUBLE_EQ(h[4], 0.25);
  EXPECT_DOUBLE_EQ(h[16], 0.25);
  EXPECT_DOUBLE_EQ(h[1], 0.0);
}

TEST(Rhythm, MockKeepsDensityAndFlattensPositions) {
  std::vector<BarMask> bars;
  for (int i = 0; i < 20000; ++i) bars.push_back(i % 2 ? 0x00010001u : 0x1u);  // downbeats only
  const auto mock = mock_bars(bars, 5);
  ASSERT_EQ(mock.size(), bars.size());
  for (size_t i = 0; i < bars.size(); ++i)
    ASSERT_EQ(std::bitset<32>(mock[i]).count(), std::bitset<32>(bars[i]).count());
  const PositionHistogram h = position_histogram(mock);
  for (double v : h) EXPECT_NEAR(v, 1.5 / 32.0, 0.01);  // 1.5 onsets a bar spread evenly
  EXPECT_EQ(mock_bars(bars, 5), mock);
  EXPECT_NE(mock_bars(bars, 6), mock);
}

}  // namespace
}  // namespace acc::eval
