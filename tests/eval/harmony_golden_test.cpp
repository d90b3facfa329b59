// Compares the harmony measures with the independent numpy reference
// (tests/reference/harmony_reference.py -> tests/eval/data/harmony_golden.json):
// synthetic chord songs and the first bars of three Debian MIDI files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "accompanist/eval/harmony.h"

namespace acc::eval {
namespace {

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

TEST(HarmonyGolden, CasesMatchNumpy) {
  std::ifstream in(std::string(ACC_SOURCE_DIR) + "/tests/eval/data/harmony_golden.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json golden = nlohmann::json::parse(in);
  ASSERT_GE(golden["cases"].size(), 9u);
  int64_t counted = 0;
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int tpq = c["tpq"];
    const auto chords = bar_chords(notes_of(c["source"]), tpq, c["num_bars"].get<int64_t>());
    std::vector<nlohmann::json> names;
    for (const auto& chord : chords) names.push_back(chord ? nlohmann::json(chord_name(*chord)) : nlohmann::json());
    EXPECT_EQ(nlohmann::json(names), c["chords"]);
    const PartHarmony h = part_harmony(chords, notes_of(c["part"]), tpq);
    EXPECT_EQ(h.root_match, c["root_match"].get<std::vector<int>>());
    EXPECT_EQ(h.root_bars, c["root_bars"].get<int64_t>());
    EXPECT_EQ(h.root_hits, c["root_hits"].get<int64_t>());
    EXPECT_EQ(h.chord_time, c["chord_time"].get<int64_t>());
    EXPECT_EQ(h.tone_time, c["tone_time"].get<int64_t>());
    EXPECT_EQ(h.filled_bars, c["filled_bars"].get<int64_t>());
    expect_optional(h.root_agreement(), c["root_agreement"], "root agreement");
    expect_optional(h.chord_tone_rate(), c["chord_tone_rate"], "chord-tone rate");
    counted += h.root_bars;
  }
  EXPECT_GT(counted, 50);
}

}  // namespace
}  // namespace acc::eval
