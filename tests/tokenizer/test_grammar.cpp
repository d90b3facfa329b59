// The REMI grammar state machine: accepts what the encoder writes, rejects
// what breaks REMI, and treats a BPE id exactly as its base expansion.
#include <gtest/gtest.h>

#include <random>

#include "accompanist/tokenizer/bpe.h"
#include "accompanist/tokenizer/grammar.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/util/error.h"
#include "tokenizer/tokenizer_test_util.h"

namespace acc::tokenizer {
namespace {

constexpr TokenId P(int pitch) {
  return kPitchBase + pitch - kMinPitch;
}
constexpr TokenId Pos(int p) {
  return kPositionBase + p;
}
constexpr TokenId kVel = kVelocityBase + 5;
constexpr TokenId kDur = kDurationBase + 7;

std::vector<TokenSeq> encoded_corpus(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TokenSeq> seqs;
  for (int k = 0; k < count; ++k) seqs.push_back(encode_remi(testing::random_notes(rng, 384, 80), 384));
  return seqs;
}

TEST(Grammar, AcceptsEncoderOutputAtEveryStep) {
  Grammar g{Bpe()};
  EXPECT_EQ(g.vocab_size(), size_t(kBaseVocabSize));
  for (const TokenSeq& s : encoded_corpus(30, 1)) {
    Grammar::State st = g.start();
    for (size_t i = 0; i < s.size(); ++i) {
      ASSERT_TRUE(g.allowed(st, s[i])) << "token " << i << " " << Vocabulary::name(s[i]) << " " << g.describe(st);
      ASSERT_EQ(g.mask(st)[s[i]], 1);
      st = g.next(st, s[i]);
    }
    EXPECT_TRUE(g.may_end(st));
    EXPECT_TRUE(g.allowed(st, kEos));
    st = g.next(st, kEos);
    EXPECT_TRUE(g.may_end(st));
    for (TokenId id = 0; id < kBaseVocabSize; ++id) EXPECT_FALSE(g.allowed(st, id));  // nothing after EOS
  }
}

TEST(Grammar, RejectsWhatBreaksRemi) {
  Grammar g{Bpe()};
  auto ok = [&](const TokenSeq& s) { return g.run(s) != Grammar::kDead; };
  EXPECT_TRUE(ok({kBar, Pos(0), P(60), kVel, kDur, P(64), kVel, kDur, Pos(3), P(40), kVel, kDur, kBar, kBar}));
  EXPECT_FALSE(ok({Pos(0)}));                                   // must start with a Bar
  EXPECT_FALSE(ok({kBos}));                                     // BOS is not part of the sequence
  EXPECT_FALSE(ok({kBar, P(60)}));                              // no position
  EXPECT_FALSE(ok({kBar, Pos(0), kVel}));                       // no pitch
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kDur}));                // no velocity
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kVel, kVel}));          // no duration
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kVel, kDur, P(60)}));   // repeated pitch
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kVel, kDur, P(59)}));   // pitches go up at a position
  EXPECT_FALSE(ok({kBar, Pos(4), P(60), kVel, kDur, Pos(4)}));  // positions go forward
  EXPECT_FALSE(ok({kBar, Pos(4), P(60), kVel, kDur, Pos(2)}));
  EXPECT_TRUE(ok({kBar, Pos(4), P(60), kVel, kDur, kBar, Pos(2)}));   // a new bar starts over
  EXPECT_TRUE(ok({kBar, Pos(4), P(60), kVel, kDur, Pos(5), P(21)}));  // a new position too
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kVel, kDur, kPad}));          // PAD, MASK never
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kVel, kDur, kMask}));
  EXPECT_FALSE(ok({kBar, kEos}));  // EOS only after a note
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kEos}));
  EXPECT_TRUE(ok({kBar, Pos(0), P(60), kVel, kDur, kEos}));
  EXPECT_FALSE(ok({kBar, Pos(0), P(60), kVel, kDur, kEos, kBar}));
  EXPECT_FALSE(g.may_end(g.run({kBar})));
  EXPECT_FALSE(g.may_end(Grammar::kDead));
  EXPECT_EQ(g.next(Grammar::kDead, kBar), Grammar::kDead);
  EXPECT_EQ(g.mask(Grammar::kDead), nullptr);
  EXPECT_EQ(g.next(g.start(), -1), Grammar::kDead);
  EXPECT_EQ(g.next(g.start(), kBaseVocabSize), Grammar::kDead);
}

TEST(Grammar, AcceptedSequencesHaveNoMidiTokErrors) {
  // The grammar is stricter than MidiTok's tokens_errors: whatever it accepts
  // counts no error. Random walks over allowed ids check that.
  Grammar g{Bpe()};
  std::mt19937_64 rng(9);
  for (int walk = 0; walk < 200; ++walk) {
    TokenSeq s;
    Grammar::State st = g.start();
    for (int step = 0; step < 120; ++step) {
      std::vector<TokenId> allowed;
      for (TokenId id = 0; id < kBaseVocabSize; ++id) {
        if (g.allowed(st, id) && id != kEos) allowed.push_back(id);
      }
      ASSERT_FALSE(allowed.empty()) << g.describe(st);
      TokenId id = allowed[std::uniform_int_distribution<size_t>(0, allowed.size() - 1)(rng)];
      s.push_back(id);
      st = g.next(st, id);
    }
    EXPECT_EQ(count_grammar_errors(s), 0);
  }
}

TEST(Grammar, BpeIdIsAllowedIffItsExpansionIs) {
  const auto corpus = encoded_corpus(40, 2);
  BpeTrainOptions options;
  options.vocab_size = 500;
  Bpe bpe(train_bpe(corpus, options));
  Grammar g(bpe);
  Grammar base{Bpe()};
  ASSERT_EQ(g.vocab_size(), bpe.vocab_size());
  // Visit states along real encoded sequences (BPE ids) and compare every id
  // of the vocabulary with stepping through its expansion one base id at a time.
  size_t states = 0;
  for (size_t k = 0; k < 10; ++k) {
    const TokenSeq e = bpe.encode(corpus[k]);
    Grammar::State st = g.start();
    Grammar::State st_base = base.start();
    for (size_t i = 0; i <= e.size(); ++i) {
      ++states;
      const uint8_t* mask = g.mask(st);
      for (TokenId id = 0; id < TokenId(bpe.vocab_size()); ++id) {
        Grammar::State b = st_base;
        for (TokenId x : bpe.expansion(id)) b = base.next(b, x);
        ASSERT_EQ(g.allowed(st, id), b != Grammar::kDead) << "id " << id << " " << g.describe(st);
        ASSERT_EQ(mask[id] != 0, b != Grammar::kDead);
        if (b != Grammar::kDead) {
          ASSERT_EQ(g.describe(g.next(st, id)), base.describe(b));
        }
      }
      if (i == e.size()) break;
      ASSERT_TRUE(g.allowed(st, e[i]));
      st = g.next(st, e[i]);
      for (TokenId x : bpe.expansion(e[i])) st_base = base.next(st_base, x);
    }
    EXPECT_TRUE(g.may_end(st));
  }
  EXPECT_GT(states, 500u);
  const std::vector<bool> at_start = g.allowed_ids(g.start());
  ASSERT_EQ(at_start.size(), bpe.vocab_size());
  EXPECT_TRUE(at_start[kBar]);
  EXPECT_FALSE(at_start[Pos(0)]);
}

// At most N notes at one position: another Pitch after the N-th note group
// is refused until a Position or Bar opens a new onset; BPE ids are judged by
// their whole expansion, and primed ids may stack (next_lenient).
TEST(Grammar, NotesPerOnsetLimit) {
  Grammar one(Bpe(), 1);
  Grammar two(Bpe(), 2);
  Grammar free{Bpe()};
  auto ok = [](const Grammar& g, const TokenSeq& s) { return g.run(s) != Grammar::kDead; };
  const TokenSeq chord = {kBar, Pos(0), P(40), kVel, kDur, P(47), kVel, kDur};
  TokenSeq triad = chord;
  triad.insert(triad.end(), {P(52), kVel, kDur});
  EXPECT_TRUE(ok(free, triad));
  EXPECT_FALSE(ok(one, chord));
  EXPECT_TRUE(ok(two, chord));
  EXPECT_FALSE(ok(two, triad));
  // A new onset starts counting again, in the same bar or the next.
  EXPECT_TRUE(ok(one, {kBar, Pos(0), P(40), kVel, kDur, Pos(4), P(38), kVel, kDur, kBar, Pos(0), P(36), kVel, kDur}));
  const Grammar::State after_note = one.run({kBar, Pos(0), P(40), kVel, kDur});
  EXPECT_TRUE(one.may_end(after_note));
  for (TokenId id = kPitchBase; id < kPitchBase + kNumPitches; ++id) EXPECT_FALSE(one.allowed(after_note, id));
  EXPECT_TRUE(one.allowed(after_note, Pos(1)));
  EXPECT_TRUE(one.allowed(after_note, kBar));
  EXPECT_TRUE(one.allowed(after_note, kEos));
  EXPECT_NE(one.describe(after_note).find("note 1 at this onset"), std::string::npos) << one.describe(after_note);
  EXPECT_EQ(free.num_states(), one.num_states());  // the limit 1 costs no states
  EXPECT_GT(two.num_states(), one.num_states());

  // A merge (Duration, Pitch) stacks a note: refused at the limit, a merge
  // (Duration, Position) is not.
  const TokenId dur_pitch = kBaseVocabSize, dur_pos = kBaseVocabSize + 1;
  const Bpe bpe({{kDur, P(50)}, {kDur, Pos(9)}});
  Grammar one_bpe(bpe, 1);
  const Grammar::State after_pitch = one_bpe.run({kBar, Pos(0), P(40), kVel});
  EXPECT_FALSE(one_bpe.allowed(after_pitch, dur_pitch));
  EXPECT_TRUE(one_bpe.allowed(after_pitch, dur_pos));
  EXPECT_TRUE(Grammar(bpe, 2).allowed(Grammar(bpe, 2).run({kBar, Pos(0), P(40), kVel}), dur_pitch));

  // Primed ids may stack notes; the count stays at the limit, so the next
  // sampled Pitch at that onset is refused, a new onset is not.
  Grammar::State s = one_bpe.start();
  for (TokenId id : TokenSeq{kBar, Pos(0), P(40), kVel, dur_pitch, kVel, kDur}) s = one_bpe.next_lenient(s, id);
  ASSERT_NE(s, Grammar::kDead);
  EXPECT_TRUE(one_bpe.may_end(s));
  EXPECT_FALSE(one_bpe.allowed(s, P(60)));
  EXPECT_TRUE(one_bpe.allowed(s, Pos(3)));
  const Grammar::State stacked = one_bpe.next_lenient(s, P(60));
  ASSERT_NE(stacked, Grammar::kDead);
  EXPECT_NE(one_bpe.describe(stacked).find("pitch 60, note 1 at this onset"), std::string::npos)
      << one_bpe.describe(stacked);
  EXPECT_EQ(one_bpe.next_lenient(s, P(21)), Grammar::kDead);  // other rules still hold (pitches go up)
  EXPECT_EQ(free.next_lenient(free.run({kBar, Pos(0)}), P(40)), free.next(free.run({kBar, Pos(0)}), P(40)));

  EXPECT_THROW(Grammar(Bpe(), Grammar::kMaxNotesPerOnset + 1), Error);
  EXPECT_THROW(Grammar(Bpe(), -1), Error);
  EXPECT_NO_THROW(Grammar(Bpe(), Grammar::kMaxNotesPerOnset));
}

}  // namespace
}  // namespace acc::tokenizer
