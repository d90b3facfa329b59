// decode_part: the one decoding of a part that generation (grammar errors,
// unrepairable samples) and the evaluation (notes and bars of every part) use.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "accompanist/midi/meter.h"
#include "accompanist/tokenizer/decoded_part.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"

namespace acc::tokenizer {
namespace {

constexpr TokenId kBarPos0 = kBaseVocabSize;  // the one merge: (Bar, Position_0)

Tokenizer bar_merge_tokenizer() {
  return Tokenizer(Bpe({{kBar, Vocabulary::position_id(0)}}));
}

// Pitch, Velocity_79, a one-beat Duration.
void add_note(TokenSeq& base, int pitch) {
  for (TokenId id : {Vocabulary::pitch_id(pitch), Vocabulary::velocity_id(4), Vocabulary::duration_id(7)})
    base.push_back(id);
}

TEST(DecodedPart, BpeIdsToNotesAndBars) {
  const Tokenizer tok = bar_merge_tokenizer();
  // Bar 0: a note on the downbeat; bar 1 empty; bar 2: a note on beat 2; bar 3 empty.
  TokenSeq base = {kBar, Vocabulary::position_id(0)};
  add_note(base, 60);
  base.insert(base.end(), {kBar, kBar, Vocabulary::position_id(8)});
  add_note(base, 62);
  base.push_back(kBar);
  const TokenSeq ids = tok.apply_bpe(base);
  ASSERT_EQ(ids.front(), kBarPos0);
  ASSERT_EQ(ids.size(), base.size() - 1);

  const DecodedPart part = decode_part(tok, ids);
  ASSERT_EQ(part.notes.size(), 2u);
  EXPECT_EQ(part.notes[0].pitch, 60);
  EXPECT_EQ(part.notes[0].start, 0);
  EXPECT_EQ(part.notes[1].pitch, 62);
  EXPECT_EQ(part.notes[1].start, 2 * 4 * kDecodeTicksPerQuarter + kDecodeTicksPerQuarter);
  EXPECT_EQ(part.notes, tok.decode(ids).notes);
  EXPECT_EQ(part.bars, 4);                      // every Bar token, the empty ones too
  EXPECT_EQ(part.tokens, int64_t(ids.size()));  // BPE ids, not base ids
  EXPECT_EQ(part.grammar_errors, 0);
  EXPECT_FALSE(part.unrepairable());
}

TEST(DecodedPart, ASequenceStartingWithAPositionSpansItsLastOnset) {
  // Position before any Bar: bar 0; the one Bar token then opens bar 1.
  TokenSeq base = {Vocabulary::position_id(0)};
  add_note(base, 40);
  base.insert(base.end(), {kBar, Vocabulary::position_id(4)});
  add_note(base, 43);
  const DecodedPart part = decode_part(Tokenizer(), base);
  ASSERT_EQ(part.notes.size(), 2u);
  EXPECT_EQ(part.notes[1].start, 4 * kDecodeTicksPerQuarter + kDecodeTicksPerQuarter / 2);
  EXPECT_EQ(part.bars, 2);  // 1 Bar token, notes up to bar 1
  EXPECT_EQ(part.grammar_errors, 0);
}

TEST(DecodedPart, MalformedGroupsAreSkippedAndCounted) {
  // A Pitch without its Velocity and Duration makes no note.
  const TokenSeq broken = {kBar, Vocabulary::position_id(0), Vocabulary::pitch_id(60), Vocabulary::position_id(4)};
  const DecodedPart part = decode_part(Tokenizer(), broken);
  EXPECT_TRUE(part.notes.empty());
  EXPECT_TRUE(part.unrepairable());
  EXPECT_GT(part.grammar_errors, 0);
  EXPECT_EQ(part.grammar_errors, count_grammar_errors(broken));
  EXPECT_EQ(part.bars, 1);
  EXPECT_EQ(part.tokens, 4);

  const DecodedPart empty = decode_part(Tokenizer(), {});
  EXPECT_TRUE(empty.unrepairable());
  EXPECT_EQ(empty.bars, 0);
  EXPECT_EQ(empty.tokens, 0);
  EXPECT_EQ(empty.grammar_errors, 0);
}

TEST(DecodedPart, AgreesWithTheTokenizersDecodeOnRandomIds) {
  const Tokenizer tok = bar_merge_tokenizer();
  std::mt19937 rng(3);
  for (int k = 0; k < 50; ++k) {
    TokenSeq ids(rng() % 60);
    for (TokenId& id : ids) id = TokenId(4 + rng() % (tok.vocab_size() - 4));  // no specials
    const DecodedPart part = decode_part(tok, ids);
    const DecodeResult plain = tok.decode(ids);
    ASSERT_EQ(part.notes, plain.notes);
    ASSERT_EQ(part.grammar_errors, plain.errors);
    ASSERT_EQ(part.tokens, plain.tokens);
    const TokenSeq base = tok.decode_bpe(ids);
    const int64_t bar_tokens = std::count(base.begin(), base.end(), kBar);
    ASSERT_EQ(part.bars, std::max(bar_tokens, midi::bar_count(part.notes, kDecodeTicksPerQuarter)));
  }
}

TEST(DecodedPart, DecodesTheIdsAsGiven) {
  TokenSeq base = {kBar, Vocabulary::position_id(0)};
  add_note(base, 60);
  TokenSeq with_bos = base;
  with_bos.insert(with_bos.begin(), kBos);
  const DecodedPart plain = decode_part(Tokenizer(), base);
  const DecodedPart bos = decode_part(Tokenizer(), with_bos);
  EXPECT_EQ(bos.tokens, plain.tokens + 1);  // nothing is stripped: the caller's choice
  EXPECT_EQ(bos.notes, plain.notes);
  EXPECT_THROW(decode_part(Tokenizer(), {kBaseVocabSize}), acc::Error);  // outside the vocabulary
}

}  // namespace
}  // namespace acc::tokenizer
