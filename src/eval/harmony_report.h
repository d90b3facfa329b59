// The `harmony` object of report.json: the measures of harmony.h pooled over
// the samples for the generated part, the reference, the random-pitch mock
// and the shuffled pairing (docs/evaluation.md).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "accompanist/midi/song.h"

namespace acc::eval {

struct HarmonySample {
  int64_t index = 0;  // the pair's index in the split
  const std::vector<midi::Note>* source = nullptr;
  const std::vector<midi::Note>* reference = nullptr;
  const std::vector<midi::Note>* generated = nullptr;
  int64_t span = 0;  // bars the sample is analysed over
};

struct HarmonyReportOptions {
  int ticks_per_quarter = 384;
  int shuffles = 100;         // permutations for the shuffled pairing
  uint64_t mock_seed = 0;     // random pitches of the mock parts
  uint64_t shuffle_seed = 0;  // the permutations
  int per_bar_samples = 4;    // samples whose per-bar chords and matches are listed
};

nlohmann::ordered_json harmony_report(const std::vector<HarmonySample>& samples, const HarmonyReportOptions& options);

}  // namespace acc::eval
