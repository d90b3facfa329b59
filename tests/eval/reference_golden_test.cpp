// Compares the metric core with the independent numpy reference
// (tests/reference/eval_reference.py -> tests/eval/data/eval_golden.json).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "accompanist/eval/key.h"
#include "accompanist/eval/levenshtein.h"
#include "accompanist/eval/music_stats.h"
#include "accompanist/eval/rhythm.h"

namespace acc::eval {
namespace {

nlohmann::json load_golden() {
  std::ifstream in(std::string(ACC_SOURCE_DIR) + "/tests/eval/data/eval_golden.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<midi::Note> notes_of(const nlohmann::json& j) {
  std::vector<midi::Note> notes;
  for (const auto& n : j) notes.push_back({n[0].get<int>(), 100, n[1].get<int64_t>(), n[2].get<int64_t>()});
  return notes;
}

void expect_optional(const std::optional<double>& value, const nlohmann::json& expected, const std::string& what) {
  if (expected.is_null()) {
    EXPECT_FALSE(value.has_value()) << what;
  } else {
    ASSERT_TRUE(value.has_value()) << what;
    EXPECT_NEAR(*value, expected.get<double>(), 1e-9) << what;
  }
}

TEST(ReferenceGolden, CasesMatchNumpy) {
  const nlohmann::json golden = load_golden();
  ASSERT_GE(golden["cases"].size(), 10u);
  int index = 0;
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE("case " + std::to_string(index++));
    const int tpq = c["tpq"];
    const int64_t bars = c["num_bars"];
    const auto notes = notes_of(c["notes"]);
    const auto masks = bar_masks(notes, tpq, bars);
    std::vector<std::string> strings;
    for (BarMask m : masks) strings.push_back(rhythm_string(m));
    EXPECT_EQ(strings, c["rhythm_strings"].get<std::vector<std::string>>());
    EXPECT_EQ(notes_per_bar(notes, tpq, bars), c["notes_per_bar"].get<std::vector<int>>());
    const PositionHistogram h = position_histogram(masks);
    for (int p = 0; p < kPositionsPerBar; ++p) EXPECT_NEAR(h[size_t(p)], c["position_histogram"][size_t(p)], 1e-12);

    const KeyCorrelations r = key_correlations(pitch_class_durations(notes));
    for (int k = 0; k < kNumKeys; ++k) EXPECT_NEAR(r[size_t(k)], c["key_correlations"][size_t(k)], 1e-9) << k;
    std::vector<std::string> ranking;
    for (int key : rank_keys(notes)) ranking.push_back(key_name(key));
    EXPECT_EQ(ranking, c["key_ranking"].get<std::vector<std::string>>());

    expect_optional(pitch_range(notes), c["pitch_range"], "pitch range");
    expect_optional(pitch_class_entropy(notes), c["pitch_class_entropy"], "entropy");
    expect_optional(scale_consistency(notes), c["scale_consistency"], "scale consistency");
    expect_optional(polyphony(notes), c["polyphony"], "polyphony");
    expect_optional(groove_consistency(masks), c["groove_consistency"], "groove consistency");
  }
}

TEST(ReferenceGolden, ChromaAgreementMatchesNumpy) {
  const nlohmann::json golden = load_golden();
  ASSERT_FALSE(golden["chroma_agreement"].empty());
  for (const auto& c : golden["chroma_agreement"]) {
    const auto& a = golden["cases"][c["a"].get<size_t>()];
    const auto& b = golden["cases"][c["b"].get<size_t>()];
    expect_optional(chroma_agreement(notes_of(a["notes"]), notes_of(b["notes"]), a["tpq"], c["num_bars"]), c["value"],
                    "chroma " + c["a"].dump());
  }
}

TEST(ReferenceGolden, LevenshteinMatchesDynamicProgramme) {
  const nlohmann::json golden = load_golden();
  ASSERT_GE(golden["levenshtein"].size(), 100u);
  for (const auto& p : golden["levenshtein"]) {
    const std::string a = p["a"], b = p["b"];
    EXPECT_EQ(rhythm_distance(parse_rhythm_string(a), parse_rhythm_string(b)), p["distance"].get<int>())
        << a << " " << b;
    EXPECT_EQ(levenshtein(a, b), p["distance"].get<int>());
  }
}

TEST(ReferenceGolden, TopKCurveMatches) {
  const nlohmann::json golden = load_golden();
  std::vector<int> refs;
  std::vector<std::vector<int>> rankings;
  for (const auto& key : golden["topk"]["reference_keys"]) refs.push_back(key.is_null() ? -1 : key_index(key));
  for (const auto& c : golden["cases"]) rankings.push_back(rank_keys(notes_of(c["notes"])));
  const TopKCurve curve = topk_match(refs, rankings);
  for (int k = 0; k < kNumKeys; ++k) EXPECT_NEAR(curve[size_t(k)], golden["topk"]["curve"][size_t(k)], 1e-12) << k;
}

}  // namespace
}  // namespace acc::eval
