// REMI against the independent Python reference (tests/reference/remi_reference.py,
// golden file tests/reference/golden/tokenizer/remi_cases.json) and round trips.
#include <gtest/gtest.h>

#include <random>

#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/vocabulary.h"
#include "accompanist/util/error.h"
#include "tokenizer/tokenizer_test_util.h"

namespace acc::tokenizer {
namespace {

using testing::ids_from_json;
using testing::load_golden;
using testing::notes_from_json;

// Notes quantised at tpq, as decoded at tpq 384 (exact when tpq % 8 == 0).
std::vector<midi::Note> rescale_to_decode(std::vector<midi::Note> notes, int tpq) {
  for (midi::Note& n : notes) {
    n.start = n.start * kDecodeTicksPerQuarter / tpq;
    n.end = n.end * kDecodeTicksPerQuarter / tpq;
  }
  return notes;
}

TEST(Vocabulary, NamesMatchReference) {
  const nlohmann::json golden = load_golden("remi_cases.json");
  ASSERT_EQ(golden["vocab"].size(), size_t(kBaseVocabSize));
  for (TokenId id = 0; id < kBaseVocabSize; ++id) {
    EXPECT_EQ(Vocabulary::name(id), golden["vocab"][size_t(id)].get<std::string>()) << id;
    EXPECT_EQ(Vocabulary::id_of(Vocabulary::name(id)), id);
  }
  EXPECT_EQ(Vocabulary::id_of("Pitch_20"), -1);
  EXPECT_EQ(Vocabulary::name(kDurationBase), "Duration_0.1.8");
  EXPECT_EQ(Vocabulary::name(kDurationBase + 7), "Duration_1.0.8");
  EXPECT_EQ(Vocabulary::name(kPositionBase - 1), "Duration_12.0.4");
  EXPECT_EQ(Vocabulary::type(kBaseVocabSize), TokenType::Bpe);
  EXPECT_EQ(Vocabulary::type(-1), TokenType::Invalid);
}

TEST(Vocabulary, DurationTableTiesGoToTheShorter) {
  DurationTable t(384);
  EXPECT_EQ(t.ticks(0), 48);
  EXPECT_EQ(t.ticks(kNumDurations - 1), 12 * 384);
  EXPECT_EQ(t.nearest(0), 0);
  EXPECT_EQ(t.nearest(72), 0);  // halfway between 48 and 96
  EXPECT_EQ(t.nearest(73), 1);
  EXPECT_EQ(t.nearest(1584), 31);  // halfway between 4.0.4 (1536) and 4.1.4 (1632)
  EXPECT_EQ(t.nearest(100000), kNumDurations - 1);
  EXPECT_EQ(Vocabulary::velocity_bin(23), 0);   // 15 and 31 equally near
  EXPECT_EQ(Vocabulary::velocity_bin(119), 6);  // 111 and 127 equally near
  EXPECT_EQ(Vocabulary::velocity_bin(0), 0);
}

TEST(Remi, DurationTokensAreTheNearestTableEntry) {
  // Every length from 0 to past 12 beats, at resolutions with and without a
  // whole number of ticks per step, against DurationTable::nearest.
  for (int tpq : {32, 96, 100, 384, 437, 480}) {
    const int64_t step = tpq / kStepsPerBeat;
    DurationTable table(tpq);
    for (int64_t k = 0; k <= 100; ++k) {
      const int64_t length = k * step;
      const TokenSeq ids = encode_remi({{60, 64, 0, length}}, tpq);
      ASSERT_EQ(ids.size(), 5u);
      const int64_t snapped = k == 0 ? step : std::min(length, int64_t(12) * tpq);
      EXPECT_EQ(ids[4], kDurationBase + table.nearest(snapped)) << "tpq " << tpq << " steps " << k;
    }
  }
}

TEST(Remi, VelocityTokensAreTheNearestBin) {
  for (int v = -3; v <= 130; ++v) {
    const TokenSeq ids = encode_remi({{60, v, 0, 96}}, 96);
    ASSERT_EQ(ids.size(), 5u);
    EXPECT_EQ(ids[3], kVelocityBase + Vocabulary::velocity_bin(v)) << v;
  }
}

TEST(Remi, EncodesLikeTheReference) {
  const nlohmann::json golden = load_golden("remi_cases.json");
  ASSERT_GE(golden["encode"].size(), 20u);
  for (const auto& c : golden["encode"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto notes = notes_from_json(c["notes"]);
    const int tpq = c["tpq"].get<int>();
    if (c.contains("error")) {
      EXPECT_THROW(encode_remi(notes, tpq), Error);
      try {
        encode_remi(notes, tpq);
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("ticks per quarter"), std::string::npos) << e.what();
      }
      continue;
    }
    EXPECT_EQ(encode_remi(notes, tpq), ids_from_json(c["ids"]));
    EXPECT_EQ(quantize_notes(notes, tpq), notes_from_json(c["quantized"]));
  }
}

TEST(Remi, DecodesLikeTheReference) {
  const nlohmann::json golden = load_golden("remi_cases.json");
  for (const auto& c : golden["decode"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const TokenSeq ids = ids_from_json(c["ids"]);
    DecodeResult r = decode_remi(ids);
    EXPECT_EQ(r.notes, notes_from_json(c["notes"]));
    EXPECT_EQ(r.errors, c["errors"].get<int64_t>());
    EXPECT_EQ(count_grammar_errors(ids), c["errors"].get<int64_t>());
    EXPECT_EQ(r.tokens, int64_t(ids.size()));
  }
}

TEST(Remi, RoundTripGivesTheQuantisedNotes) {
  const nlohmann::json golden = load_golden("remi_cases.json");
  for (const auto& c : golden["encode"]) {
    const int tpq = c["tpq"].get<int>();
    if (c.contains("error") || tpq % kStepsPerBeat != 0) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto notes = notes_from_json(c["notes"]);
    DecodeResult r = decode_remi(encode_remi(notes, tpq));
    EXPECT_EQ(r.notes, rescale_to_decode(quantize_notes(notes, tpq), tpq));
    EXPECT_EQ(r.errors, 0);
  }
  std::mt19937_64 rng(7);
  for (int tpq : {32, 96, 384, 480, 960}) {
    for (int k = 0; k < 20; ++k) {
      const auto notes = testing::random_notes(rng, tpq, 200);
      const TokenSeq ids = encode_remi(notes, tpq);
      DecodeResult r = decode_remi(ids);
      ASSERT_EQ(r.notes, rescale_to_decode(quantize_notes(notes, tpq), tpq)) << "tpq " << tpq;
      ASSERT_EQ(r.errors, 0);
      // Re-encoding the decoded notes is a fixed point.
      ASSERT_EQ(encode_remi(r.notes, kDecodeTicksPerQuarter), ids);
    }
  }
}

TEST(Remi, RejectsSmallResolutionsAndBadIds) {
  EXPECT_THROW(encode_remi({{60, 64, 0, 10}}, 31), Error);
  // A corrupt onset far away fails instead of writing billions of Bar tokens.
  EXPECT_THROW(encode_remi({{60, 64, int64_t(1) << 40, (int64_t(1) << 40) + 10}}, 96), Error);
  EXPECT_EQ(encode_remi({{60, 64, 4 * 96 * (kMaxBars - 1), 4 * 96 * (kMaxBars - 1) + 12}}, 96).size(),
            size_t(kMaxBars) + 4);
  EXPECT_THROW(quantize_notes({}, 0), Error);
  EXPECT_NO_THROW(encode_remi({}, 32));
  EXPECT_TRUE(encode_remi({}, 384).empty());
  EXPECT_THROW(decode_remi({4, 165, 197}), Error);
  EXPECT_THROW(decode_remi({-1}), Error);
  EXPECT_THROW(count_grammar_errors({4, 1000}), Error);
}

TEST(Remi, OrderOfInputNotesDoesNotMatter) {
  std::mt19937_64 rng(11);
  // Quantised notes have no duplicates left (raw duplicates of equal length
  // may differ in velocity, and then input order decides, as in MidiTok).
  auto q = quantize_notes(testing::random_notes(rng, 480, 300), 480);
  const TokenSeq ids = encode_remi(q, 480);
  std::shuffle(q.begin(), q.end(), rng);
  EXPECT_EQ(encode_remi(q, 480), ids);
}

}  // namespace
}  // namespace acc::tokenizer
