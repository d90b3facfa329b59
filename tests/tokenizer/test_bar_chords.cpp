// The chord conditioning signal (tokenizer::bar_chord_ids) against the
// independent Python reference (tests/reference/bar_chords_reference.py,
// golden tests/reference/golden/tokenizer/bar_chords_cases.json), and by hand.
#include <gtest/gtest.h>

#include "accompanist/midi/chord.h"
#include "accompanist/tokenizer/bar_chords.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace acc::tokenizer {
namespace {

using testing::load_golden;

TEST(BarChords, MatchTheIndependentReference) {
  const nlohmann::json golden = load_golden("bar_chords_cases.json");
  const Tokenizer tokenizer = Tokenizer::from_json(golden["tokenizer"].dump(), "golden tokenizer");
  ASSERT_GT(tokenizer.vocab_size(), 197u);  // the cases go through BPE
  int64_t bars = 0, chords = 0;
  for (const auto& c : golden["cases"]) {
    const TokenSeq ids = c["ids"].get<TokenSeq>();
    const std::vector<int32_t> want = c["chords"].get<std::vector<int32_t>>();
    EXPECT_EQ(bar_chord_ids(tokenizer, ids), want);
    bars += int64_t(want.size());
    for (int32_t id : want) chords += id > 0;
  }
  EXPECT_GT(bars, 50);
  EXPECT_GT(chords, bars / 2);  // most bars have a chord, some none
  EXPECT_LT(chords, bars);
}

TEST(BarChords, OneIdPerBarFromTheSameEstimateAsTheEvaluation) {
  const Tokenizer plain;
  // tpq 384: bar 0 a C major triad, bar 1 empty, bar 2 an A minor triad held into bar 3.
  std::vector<midi::Note> notes;
  for (int p : {60, 64, 67}) notes.push_back({p, 80, 0, 4 * 384});
  for (int p : {57, 60, 64}) notes.push_back({p, 80, 8 * 384, 14 * 384});
  const TokenSeq ids = plain.encode(notes, 384);
  const std::vector<int32_t> got = bar_chord_ids(plain, ids);
  const int32_t c_major = midi::chord_id(midi::make_chord(0, midi::ChordQuality::kMajor));
  const int32_t a_minor = midi::chord_id(midi::make_chord(9, midi::ChordQuality::kMinor));
  EXPECT_EQ(c_major, 1);
  EXPECT_EQ(a_minor, 1 + 9 * midi::kNumChordQualities + 1);
  // The sequence opens bars 0..2 (the last onset is in bar 2): bar 3 is not counted.
  EXPECT_EQ(got, (std::vector<int32_t>{c_major, 0, a_minor}));
  EXPECT_TRUE(bar_chord_ids(plain, {}).empty());
}

}  // namespace
}  // namespace acc::tokenizer
