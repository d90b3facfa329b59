// BPE training and encoding against the independent Python reference
// (tests/reference/bpe_reference.py, golden tests/reference/golden/tokenizer/bpe_cases.json).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "accompanist/tokenizer/bpe.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/util/error.h"
#include "tokenizer/tokenizer_test_util.h"

namespace acc::tokenizer {
namespace {

using testing::load_golden;

std::vector<Merge> merges_from_json(const nlohmann::json& j) {
  std::vector<Merge> merges;
  for (const auto& m : j) merges.emplace_back(m[0].get<TokenId>(), m[1].get<TokenId>());
  return merges;
}

TEST(Bpe, TrainsAndEncodesLikeTheReference) {
  const nlohmann::json golden = load_golden("bpe_cases.json");
  size_t runs = 0;
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto train = c["train"].get<std::vector<TokenSeq>>();
    auto all = train;
    for (const auto& s : c["extra"]) all.push_back(s.get<TokenSeq>());
    for (const auto& run : c["runs"]) {
      const size_t vocab_size = run["vocab_size"].get<size_t>();
      SCOPED_TRACE("vocab_size " + std::to_string(vocab_size));
      BpeTrainOptions options;
      options.vocab_size = vocab_size;
      const std::vector<Merge> merges = train_bpe(train, options);
      ASSERT_EQ(merges, merges_from_json(run["merges"]));
      Bpe bpe(merges);
      for (size_t i = 0; i < all.size(); ++i) {
        const TokenSeq encoded = bpe.encode(all[i]);
        EXPECT_EQ(encoded, run["encoded"][i].get<TokenSeq>()) << "sequence " << i;
        EXPECT_EQ(bpe.decode(encoded), all[i]);
      }
      ++runs;
    }
  }
  EXPECT_GE(runs, 10u);
}

TEST(Bpe, CountsOverlappingPairsAndMergesWithoutOverlap) {
  // (Bar, Bar) occurs twice in three Bars and 4 times in five: it beats
  // (Bar, Position_0) with 3 occurrences.
  const std::vector<TokenSeq> seqs = {{4, 4, 4}, {4, 4, 4, 4, 4}, {4, 165}, {4, 165}, {4, 165}};
  BpeTrainOptions options;
  options.vocab_size = 198;
  auto merges = train_bpe(seqs, options);
  ASSERT_EQ(merges, (std::vector<Merge>{{4, 4}}));
  Bpe bpe(merges);
  EXPECT_EQ(bpe.encode({4, 4, 4}), (TokenSeq{197, 4}));
  EXPECT_EQ(bpe.encode({4, 4, 4, 4, 4}), (TokenSeq{197, 197, 4}));
  EXPECT_EQ(bpe.encode({165, 4, 4}), (TokenSeq{165, 197}));
}

TEST(Bpe, FlatTrainingEqualsNested) {
  std::mt19937_64 rng(3);
  std::vector<TokenSeq> seqs;
  std::vector<TokenId> flat;
  std::vector<uint64_t> offsets{0};
  for (int k = 0; k < 30; ++k) {
    seqs.push_back(encode_remi(testing::random_notes(rng, 384, 60), 384));
    flat.insert(flat.end(), seqs.back().begin(), seqs.back().end());
    offsets.push_back(flat.size());
  }
  BpeTrainOptions options;
  options.vocab_size = 320;
  size_t calls = 0;
  options.progress = [&](size_t done, size_t wanted) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_EQ(wanted, 123u);
  };
  auto nested = train_bpe(seqs, options);
  EXPECT_EQ(nested.size(), 123u);
  EXPECT_EQ(calls, 123u);
  options.progress = nullptr;
  EXPECT_EQ(train_bpe(flat.data(), offsets.data(), seqs.size(), options), nested);
}

TEST(Bpe, EncodingIsCompleteAndConsistentWithTraining) {
  // Training merges left to right in every sequence, exactly what encoding
  // the training data with the learned merges does; and no pair with a merge
  // is left in an encoded sequence.
  std::mt19937_64 rng(5);
  std::vector<TokenSeq> seqs;
  for (int k = 0; k < 40; ++k) seqs.push_back(encode_remi(testing::random_notes(rng, 480, 80), 480));
  BpeTrainOptions options;
  options.vocab_size = 450;
  Bpe bpe(train_bpe(seqs, options));
  ASSERT_EQ(bpe.vocab_size(), 450u);
  size_t base = 0, merged = 0;
  for (const TokenSeq& s : seqs) {
    const TokenSeq e = bpe.encode(s);
    for (size_t i = 0; i + 1 < e.size(); ++i) ASSERT_EQ(bpe.rank(e[i], e[i + 1]), -1);
    ASSERT_EQ(bpe.decode(e), s);
    base += s.size();
    merged += e.size();
  }
  EXPECT_LT(merged, base);
}

TEST(Bpe, RejectsBadMergesAndIds) {
  EXPECT_THROW(Bpe({{4, 197}}), Error);          // refers to itself
  EXPECT_THROW(Bpe({{4, 5}, {198, 4}}), Error);  // a later id
  EXPECT_THROW(Bpe({{0, 5}}), Error);            // a special token
  EXPECT_THROW(Bpe({{5, 3}}), Error);
  EXPECT_THROW(Bpe({{-1, 5}}), Error);
  EXPECT_THROW(Bpe({{5, 6}, {5, 6}}), Error);  // repeated pair
  EXPECT_NO_THROW(Bpe({{5, 6}, {197, 197}, {198, 197}}));
  Bpe bpe({{5, 6}, {197, 197}});
  EXPECT_EQ(bpe.expansion(198), (TokenSeq{5, 6, 5, 6}));
  EXPECT_EQ(bpe.expansion(7), (TokenSeq{7}));
  EXPECT_THROW(bpe.expansion(199), Error);
  EXPECT_THROW(bpe.decode({5, 199}), Error);
  EXPECT_THROW(bpe.encode({5, 197}), Error);  // encoding takes base ids only
  BpeTrainOptions options;
  options.vocab_size = 100;
  EXPECT_THROW(train_bpe(std::vector<TokenSeq>{{5, 6}}, options), Error);
  options.vocab_size = 300;
  EXPECT_THROW(train_bpe(std::vector<TokenSeq>{{5, 600}}, options), Error);
}

TEST(Bpe, RefusesExpansionsThatCannotFitInMemory) {
  // Each merge doubles the last one's expansion (found with fuzz_tokenizer_json:
  // a 500-byte tokenizer file asked for 2^32 ids and more).
  std::vector<Merge> doubling = {{4, 4}};
  for (TokenId id = kBaseVocabSize; id < kBaseVocabSize + 40; ++id) doubling.emplace_back(id, id);
  EXPECT_THROW(Bpe{doubling}, Error);
  doubling.resize(20);  // up to 2^20 ids: allowed
  const Bpe bpe(doubling);
  EXPECT_EQ(bpe.expansion(kBaseVocabSize + 19), TokenSeq(size_t(1) << 20, kBar));
}

TEST(Bpe, SpecialTokensAreNeverMerged) {
  const std::vector<TokenSeq> seqs = {{2, 2, 2, 2}, {0, 0, 1, 1, 3, 3}, {5, 6, 2, 5, 6}};
  BpeTrainOptions options;
  options.vocab_size = 250;
  auto merges = train_bpe(seqs, options);
  ASSERT_EQ(merges, (std::vector<Merge>{{5, 6}}));
  EXPECT_EQ(Bpe(merges).encode({2, 5, 6, 2}), (TokenSeq{2, 197, 2}));
}

TEST(Bpe, LargeVocabularies) {
  // Thousands of merges: the rank table grows and still finds every pair.
  std::vector<Merge> merges;
  for (TokenId a = 4; a < 60; ++a) {
    for (TokenId b = 4; b < 60 && merges.size() < 2100; ++b) merges.emplace_back(a, b);
  }
  Bpe big(merges);
  ASSERT_GT(big.vocab_size(), 2048u);
  EXPECT_EQ(big.encode({4, 4, 4, 5}), (TokenSeq{197, 198}));
  EXPECT_EQ(big.rank(59, 59), -1);
  EXPECT_EQ(big.decode(big.encode({7, 9, 11, 13, 100})), (TokenSeq{7, 9, 11, 13, 100}));
}

}  // namespace
}  // namespace acc::tokenizer

namespace acc::tokenizer {
namespace {

// merge_bar_with_notes = false: no merged token holds a Bar followed by a
// Pitch, however often the pattern occurs; the default merges it.
TEST(BpeTraining, CanKeepABarsFirstNoteOutOfTheBarToken) {
  // Every bar opens with Bar Position_0 Pitch_36 (the most frequent pattern).
  const TokenId pos0 = kPositionBase, pitch36 = kPitchBase + 36 - kMinPitch, vel = kVelocityBase + 4,
                dur = kDurationBase + 7;
  std::vector<TokenSeq> songs;
  for (int s = 0; s < 20; ++s) {
    TokenSeq seq;
    for (int bar = 0; bar < 8; ++bar)
      for (TokenId t : {kBar, pos0, pitch36, vel, dur, TokenId(pos0 + 8), TokenId(pitch36 + 7), vel, dur})
        seq.push_back(t);
    songs.push_back(seq);
  }
  auto has_bar_then_pitch = [](const Bpe& bpe) {
    int bad = 0;
    for (size_t id = kBaseVocabSize; id < bpe.vocab_size(); ++id) {
      const TokenSeq base = bpe.decode({TokenId(id)});
      const auto bar = std::find(base.begin(), base.end(), kBar);
      bad += std::any_of(bar, base.end(), [](TokenId t) { return t >= kPitchBase && t < kPitchBase + kNumPitches; });
    }
    return bad;
  };
  BpeTrainOptions options;
  options.vocab_size = 230;
  const Bpe miditok(train_bpe(songs, options));
  EXPECT_GT(has_bar_then_pitch(miditok), 0);
  options.merge_bar_with_notes = false;
  const Bpe kept(train_bpe(songs, options));
  EXPECT_EQ(has_bar_then_pitch(kept), 0);
  EXPECT_GT(kept.vocab_size(), size_t(kBaseVocabSize) + 5);  // other merges still happen
  // Bar + Position_0 (no pitch) may still merge.
  bool bar_position = false;
  for (size_t id = kBaseVocabSize; id < kept.vocab_size(); ++id)
    bar_position = bar_position || kept.decode({TokenId(id)}) == TokenSeq{kBar, pos0};
  EXPECT_TRUE(bar_position);
  for (const TokenSeq& s : songs) EXPECT_EQ(kept.decode(kept.encode(s)), s);
}

}  // namespace
}  // namespace acc::tokenizer
