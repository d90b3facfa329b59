// Krumhansl-Schmuckler key finding (thesis 4.3.2, SPEC section 8): the
// duration-weighted pitch-class histogram of a part is correlated (Pearson)
// with the Krumhansl-Kessler profile of each of the 24 keys, and the keys are
// ranked by correlation. The thesis then asks whether the reference part's
// best key is among the generated part's top k keys, k = 1..24 (Figs. 16-17).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::eval {

constexpr int kNumKeys = 24;
using PitchClassHistogram = std::array<double, 12>;
using KeyCorrelations = std::array<double, kNumKeys>;
// A curve over k = 1..24: element k-1 is the value for the top k keys.
using TopKCurve = std::array<double, kNumKeys>;

// Key index: 0..11 = C major .. B major, 12..23 = C minor .. B minor (tonic =
// index mod 12).
std::string key_name(int key);           // "C major", "C# major", ..., "B minor" (sharps only)
int key_index(const std::string& name);  // -1 when unknown

// The Krumhansl-Kessler profiles of C major and C minor (SPEC section 8).
const PitchClassHistogram& major_profile();
const PitchClassHistogram& minor_profile();

// Sum of (end - start) per pitch class; notes with end <= start add nothing.
PitchClassHistogram pitch_class_durations(const std::vector<midi::Note>& notes);

// Pearson correlation of the histogram with the profile of every key (the
// C profiles rotated so that index 0 is the key's tonic). All zero when the
// histogram is constant (no notes, or every pitch class equally long): then
// no key can be told.
KeyCorrelations key_correlations(const PitchClassHistogram& histogram);

// The 24 keys by decreasing correlation (ties: lower index first); empty when
// the histogram is constant.
std::vector<int> rank_keys(const PitchClassHistogram& histogram);
std::vector<int> rank_keys(const std::vector<midi::Note>& notes);

// Fraction of cases whose reference key (>= 0; -1 = none, the case is left
// out) is among the first k keys of its ranking. An empty ranking (nothing
// generated) counts as a miss at every k. All zeros when no case counts.
TopKCurve topk_match(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings);

// The random-pairing baseline: the same curve with the rankings permuted
// among the cases, averaged over `shuffles` seeded permutations. It keeps the
// distribution of keys (a model that always says C major is not rewarded).
TopKCurve shuffled_topk_match(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings,
                              int shuffles, uint64_t seed);

// The thesis's "shuffled key-candidates": every non-empty ranking replaced by a
// random order of the 24 keys, averaged over `shuffles`; expected k/24 of
// the cases with a ranking.
TopKCurve random_order_topk_match(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings,
                                  int shuffles, uint64_t seed);

}  // namespace acc::eval
