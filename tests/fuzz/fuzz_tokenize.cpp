// libFuzzer target: MIDI bytes -> parse_midi -> REMI -> BPE, as `accompanist
// tokenize` does it (every part, at the file's ticks per quarter). Rejections
// must be acc::Error; for every part that encodes it checks what the tokenizer
// guarantees (include/accompanist/tokenizer/remi.h, tests/tokenizer):
//  - quantize_notes: pitches 21..108, bin velocities, onsets on the step grid,
//    end > start, strictly increasing (onset, pitch);
//  - REMI ids: base ids 4..196 (no special tokens); a Bar per bar up to the
//    last onset, a Position per distinct onset and one Pitch Velocity Duration
//    group per quantized note, the Bar first;
//  - decode_remi gives one note per quantized note with its pitch and
//    velocity; when tpq % 8 == 0 (exact rescaling, as the round-trip tests)
//    it gives exactly the quantized notes at tpq 384 with no grammar errors,
//    the grammar accepts the ids and re-encoding the decoded notes at tpq 384
//    gives the same ids;
//  - BPE, with a small tokenizer trained once on synthetic sequences: ids
//    below its vocabulary, no adjacent pair left that has a merge,
//    decode(encode(x)) == x, Tokenizer::encode == BPE of REMI, the grammar
//    state agrees with the base ids, and Tokenizer::decode gives the same notes.
// Sequences longer than kMaxCheckedTokens (onsets in far bars: up to 2^20
// Bar tokens) only get the id range check, to keep the fuzzer fast.
// The input bytes are also BPE-encoded as raw base ids (byte % 197, specials
// included), to reach BPE with sequences the REMI encoder never writes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "accompanist/midi/reader.h"
#include "accompanist/tokenizer/grammar.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/tokenizer/vocabulary.h"
#include "accompanist/util/error.h"

namespace {

using acc::midi::Note;
using namespace acc::tokenizer;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_tokenize: invariant broken: %s\n", what);
    std::abort();
  }
}

// Synthetic base sequences for training: a few bars of notes from a
// fixed-seed generator (small pitch, velocity and length sets so that pairs
// repeat), plus runs of empty bars.
std::vector<TokenSeq> training_sequences() {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  constexpr int kTpq = 96;
  std::vector<TokenSeq> seqs;
  for (int s = 0; s < 24; ++s) {
    std::vector<Note> notes;
    int64_t t = int64_t(next(4)) * 4 * kTpq;  // leading empty bars
    for (int k = 0; k < 48; ++k) {
      const int pitch = 36 + int(next(12)) * (s % 2 ? 1 : 2);
      const int velocity = 64 + int(next(3)) * 24;
      const int64_t length = int64_t(1 + next(4)) * kTpq / 2;
      notes.push_back({pitch, velocity, t, t + length});
      if (next(4) == 0) notes.push_back({pitch + 7, velocity, t, t + length});
      t += int64_t(next(3)) * kTpq / 2;
    }
    seqs.push_back(encode_remi(notes, kTpq));
  }
  return seqs;
}

struct Fixture {
  Tokenizer tokenizer;
  Grammar base_grammar{Bpe()};
  Grammar bpe_grammar{Bpe()};
  Fixture() {
    BpeTrainOptions options;
    options.vocab_size = 320;
    tokenizer = Tokenizer::train(training_sequences(), options);
    bpe_grammar = Grammar(tokenizer.bpe());
  }
};

const Fixture* fixture = nullptr;

constexpr size_t kMaxCheckedTokens = size_t(1) << 16;

// BPE invariants on base ids (any base ids, grammatical or not).
TokenSeq check_bpe(const TokenSeq& base) {
  const Tokenizer& tok = fixture->tokenizer;
  const TokenSeq ids = tok.apply_bpe(base);
  check(ids.size() <= base.size(), "BPE longer than its input");
  for (TokenId id : ids) check(id >= 0 && size_t(id) < tok.vocab_size(), "BPE id outside the vocabulary");
  for (size_t i = 0; i + 1 < ids.size(); ++i) check(tok.bpe().rank(ids[i], ids[i + 1]) < 0, "mergeable pair left");
  check(tok.decode_bpe(ids) == base, "BPE decode(encode(x)) != x");
  return ids;
}

void check_part(const std::vector<Note>& notes, int tpq) {
  TokenSeq ids;
  try {
    ids = encode_remi(notes, tpq);
  } catch (const acc::Error&) {
    return;  // an onset past kMaxBars bars: refused cleanly
  }
  if (ids.size() > kMaxCheckedTokens) {
    for (TokenId id : ids) check(id >= kNumSpecial && id < kBaseVocabSize, "REMI id outside 4..196");
    return;
  }
  const std::vector<Note> q = quantize_notes(notes, tpq);
  const int64_t step = tpq / kStepsPerBeat;
  for (size_t i = 0; i < q.size(); ++i) {
    const Note& n = q[i];
    check(n.pitch >= kMinPitch && n.pitch <= kMaxPitch, "quantized pitch range");
    check(Vocabulary::velocity_value(Vocabulary::velocity_bin(n.velocity)) == n.velocity, "quantized velocity");
    check(n.start >= 0 && n.start % step == 0 && n.end > n.start, "quantized times");
    if (i > 0) check(std::tie(q[i - 1].start, q[i - 1].pitch) < std::tie(n.start, n.pitch), "quantized order");
  }

  // Token structure.
  int64_t bars = 0, positions = 0, groups = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const TokenId id = ids[i];
    check(id >= kNumSpecial && id < kBaseVocabSize, "REMI id outside 4..196");
    switch (Vocabulary::type(id)) {
      case TokenType::Bar:
        ++bars;
        break;
      case TokenType::Position:
        ++positions;
        break;
      case TokenType::Pitch:
        check(i + 2 < ids.size() && Vocabulary::type(ids[i + 1]) == TokenType::Velocity &&
                  Vocabulary::type(ids[i + 2]) == TokenType::Duration,
              "Pitch not followed by Velocity and Duration");
        check(size_t(groups) < q.size(), "more note groups than quantized notes");
        check(ids[i] == Vocabulary::pitch_id(q[size_t(groups)].pitch), "pitch token");
        check(ids[i + 1] == Vocabulary::velocity_id(Vocabulary::velocity_bin(q[size_t(groups)].velocity)),
              "velocity token");
        ++groups;
        i += 2;
        break;
      default:
        check(false, "unexpected token type");
    }
  }
  std::set<int64_t> onsets;
  for (const Note& n : q) onsets.insert(n.start);
  check(groups == int64_t(q.size()), "one note group per quantized note");
  check(positions == int64_t(onsets.size()), "one Position per onset");
  check(bars == (q.empty() ? 0 : q.back().start / (int64_t(kBeatsPerBar) * tpq) + 1), "Bar count");
  check(ids.empty() || ids[0] == kBar, "first token is a Bar");

  // Decoding.
  const DecodeResult r = decode_remi(ids);
  check(r.tokens == int64_t(ids.size()), "decode token count");
  check(r.notes.size() == q.size(), "decoded note count");
  for (size_t i = 0; i < q.size(); ++i) {
    check(r.notes[i].pitch == q[i].pitch && r.notes[i].velocity == q[i].velocity, "decoded pitch/velocity");
  }
  if (tpq % kStepsPerBeat == 0) {
    std::vector<Note> expected = q;
    for (Note& n : expected) {
      n.start = n.start * kDecodeTicksPerQuarter / tpq;
      n.end = n.end * kDecodeTicksPerQuarter / tpq;
    }
    check(r.notes == expected, "decoded notes != quantized notes");
    check(r.errors == 0, "grammar errors in encoder output");
    check(encode_remi(r.notes, kDecodeTicksPerQuarter) == ids, "re-encoding the decoded notes");
    if (!ids.empty()) check(fixture->base_grammar.may_end(fixture->base_grammar.run(ids)), "grammar rejects ids");
  }

  // BPE, as `accompanist tokenize --tokenizer` does.
  const Tokenizer& tok = fixture->tokenizer;
  const TokenSeq bpe_ids = check_bpe(ids);
  check(tok.encode(notes, tpq) == bpe_ids, "Tokenizer::encode != BPE of REMI");
  const Grammar::State base_state = fixture->base_grammar.run(ids);
  const Grammar::State bpe_state = fixture->bpe_grammar.run(bpe_ids);
  check((base_state == Grammar::kDead) == (bpe_state == Grammar::kDead), "BPE grammar disagrees with base grammar");
  if (base_state != Grammar::kDead) {
    check(fixture->base_grammar.may_end(base_state) == fixture->bpe_grammar.may_end(bpe_state), "grammar may_end");
  }
  const DecodeResult rb = tok.decode(bpe_ids);
  check(rb.notes == r.notes && rb.errors == r.errors, "Tokenizer::decode != decode_remi");
  check(rb.tokens == int64_t(bpe_ids.size()), "Tokenizer::decode token count");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture = new Fixture();
  check(fixture->tokenizer.vocab_size() > size_t(kBaseVocabSize), "the fixture tokenizer learned no merges");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The raw bytes as base ids.
  TokenSeq raw(size);
  for (size_t i = 0; i < size; ++i) raw[i] = TokenId(data[i] % kBaseVocabSize);
  check_bpe(raw);

  acc::midi::Song song;
  try {
    song = acc::midi::parse_midi(data, size);
  } catch (const acc::Error&) {
    return 0;  // rejected cleanly
  }
  if (song.ticks_per_quarter < kMinTicksPerQuarter) {
    // The command refuses the file; the library throws acc::Error for every part.
    for (const acc::midi::Part& part : song.parts) {
      bool threw = false;
      try {
        (void)encode_remi(part.notes, song.ticks_per_quarter);
      } catch (const acc::Error&) {
        threw = true;
      }
      check(threw, "tpq below 32 accepted");
    }
    return 0;
  }
  for (const acc::midi::Part& part : song.parts) check_part(part.notes, song.ticks_per_quarter);
  return 0;
}
