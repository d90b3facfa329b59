#include "accompanist/eval/key.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "eval/random.h"

namespace acc::eval {

namespace {

const char* const kPitchClassNames[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};

// Cases that count (reference key known), with their rankings.
struct Cases {
  std::vector<int> keys;
  std::vector<const std::vector<int>*> rankings;
};

Cases counted_cases(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings) {
  Cases cases;
  const size_t n = std::min(reference_keys.size(), rankings.size());
  for (size_t i = 0; i < n; ++i) {
    if (reference_keys[i] < 0) continue;
    cases.keys.push_back(reference_keys[i]);
    cases.rankings.push_back(&rankings[i]);
  }
  return cases;
}

// Adds, for each k, 1 when key is in the first k of ranking.
void add_hits(int key, const std::vector<int>& ranking, std::array<double, kNumKeys>& hits) {
  const auto it = std::find(ranking.begin(), ranking.end(), key);
  if (it == ranking.end()) return;
  for (int k = int(it - ranking.begin()); k < kNumKeys; ++k) hits[size_t(k)] += 1.0;
}

}  // namespace

std::string key_name(int key) {
  if (key < 0 || key >= kNumKeys) return "none";
  return std::string(kPitchClassNames[key % 12]) + (key < 12 ? " major" : " minor");
}

int key_index(const std::string& name) {
  for (int key = 0; key < kNumKeys; ++key)
    if (key_name(key) == name) return key;
  return -1;
}

const PitchClassHistogram& major_profile() {
  static const PitchClassHistogram profile = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  return profile;
}

const PitchClassHistogram& minor_profile() {
  static const PitchClassHistogram profile = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
  return profile;
}

PitchClassHistogram pitch_class_durations(const std::vector<midi::Note>& notes) {
  PitchClassHistogram histogram{};
  for (const midi::Note& note : notes) {
    if (note.end <= note.start || note.pitch < 0) continue;
    histogram[size_t(note.pitch % 12)] += double(note.end - note.start);
  }
  return histogram;
}

KeyCorrelations key_correlations(const PitchClassHistogram& histogram) {
  KeyCorrelations r{};
  const double mean_x = std::accumulate(histogram.begin(), histogram.end(), 0.0) / 12.0;
  double ss_x = 0.0, scale = 0.0;
  for (double x : histogram) {
    ss_x += (x - mean_x) * (x - mean_x);
    scale = std::max(scale, std::abs(x));
  }
  if (!(ss_x > 1e-12 * scale * scale) || scale == 0.0) return r;
  for (int key = 0; key < kNumKeys; ++key) {
    const PitchClassHistogram& profile = key < 12 ? major_profile() : minor_profile();
    const int tonic = key % 12;
    const double mean_y = std::accumulate(profile.begin(), profile.end(), 0.0) / 12.0;
    double sxy = 0.0, ss_y = 0.0;
    for (int pc = 0; pc < 12; ++pc) {
      const double y = profile[size_t((pc - tonic + 12) % 12)] - mean_y;
      sxy += (histogram[size_t(pc)] - mean_x) * y;
      ss_y += y * y;
    }
    r[size_t(key)] = sxy / std::sqrt(ss_x * ss_y);
  }
  return r;
}

std::vector<int> rank_keys(const PitchClassHistogram& histogram) {
  const KeyCorrelations r = key_correlations(histogram);
  if (std::all_of(r.begin(), r.end(), [](double v) { return v == 0.0; })) return {};
  std::vector<int> keys(kNumKeys);
  std::iota(keys.begin(), keys.end(), 0);
  std::stable_sort(keys.begin(), keys.end(), [&](int a, int b) { return r[size_t(a)] > r[size_t(b)]; });
  return keys;
}

std::vector<int> rank_keys(const std::vector<midi::Note>& notes) {
  return rank_keys(pitch_class_durations(notes));
}

TopKCurve topk_match(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings) {
  const Cases cases = counted_cases(reference_keys, rankings);
  TopKCurve curve{};
  if (cases.keys.empty()) return curve;
  for (size_t i = 0; i < cases.keys.size(); ++i) add_hits(cases.keys[i], *cases.rankings[i], curve);
  for (double& v : curve) v /= double(cases.keys.size());
  return curve;
}

TopKCurve shuffled_topk_match(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings,
                              int shuffles, uint64_t seed) {
  Cases cases = counted_cases(reference_keys, rankings);
  TopKCurve curve{};
  if (cases.keys.empty() || shuffles <= 0) return curve;
  detail::Rng rng(seed, 0x73687566ull);  // "shuf"
  const size_t n = cases.keys.size();
  for (int s = 0; s < shuffles; ++s) {
    for (size_t i = n; i > 1; --i) std::swap(cases.rankings[i - 1], cases.rankings[size_t(rng.below(i))]);
    for (size_t i = 0; i < n; ++i) add_hits(cases.keys[i], *cases.rankings[i], curve);
  }
  for (double& v : curve) v /= double(n) * double(shuffles);
  return curve;
}

TopKCurve random_order_topk_match(const std::vector<int>& reference_keys, const std::vector<std::vector<int>>& rankings,
                                  int shuffles, uint64_t seed) {
  const Cases cases = counted_cases(reference_keys, rankings);
  TopKCurve curve{};
  if (cases.keys.empty() || shuffles <= 0) return curve;
  detail::Rng rng(seed, 0x72616e64ull);  // "rand"
  std::vector<int> order(kNumKeys);
  for (int s = 0; s < shuffles; ++s) {
    for (size_t i = 0; i < cases.keys.size(); ++i) {
      if (cases.rankings[i]->empty()) continue;  // nothing generated stays a miss
      std::iota(order.begin(), order.end(), 0);
      for (size_t j = order.size(); j > 1; --j) std::swap(order[j - 1], order[size_t(rng.below(j))]);
      add_hits(cases.keys[i], order, curve);
    }
  }
  for (double& v : curve) v /= double(cases.keys.size()) * double(shuffles);
  return curve;
}

}  // namespace acc::eval
