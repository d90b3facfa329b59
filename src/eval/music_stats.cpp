#include "accompanist/eval/music_stats.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <cmath>
#include <utility>

#include "accompanist/eval/harmony.h"
#include "accompanist/util/error.h"

namespace acc::eval {

std::optional<double> pitch_range(const std::vector<midi::Note>& notes) {
  if (notes.empty()) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(notes.begin(), notes.end(),
                                            [](const midi::Note& a, const midi::Note& b) { return a.pitch < b.pitch; });
  return double(hi->pitch - lo->pitch);
}

std::optional<double> pitch_class_entropy(const std::vector<midi::Note>& notes) {
  if (notes.empty()) return std::nullopt;
  std::array<double, 12> counts{};
  for (const midi::Note& note : notes) counts[size_t(((note.pitch % 12) + 12) % 12)] += 1.0;
  double entropy = 0.0;
  for (double c : counts) {
    if (c == 0.0) continue;
    const double p = c / double(notes.size());
    entropy -= p * std::log2(p);
  }
  return entropy;
}

std::optional<double> scale_consistency(const std::vector<midi::Note>& notes) {
  if (notes.empty()) return std::nullopt;
  std::array<int, 12> counts{};
  for (const midi::Note& note : notes) ++counts[size_t(((note.pitch % 12) + 12) % 12)];
  static const int kMajor[7] = {0, 2, 4, 5, 7, 9, 11};
  static const int kMinor[7] = {0, 2, 3, 5, 7, 8, 10};
  int best = 0;
  for (int tonic = 0; tonic < 12; ++tonic) {
    for (const int* scale : {kMajor, kMinor}) {
      int inside = 0;
      for (int i = 0; i < 7; ++i) inside += counts[size_t((tonic + scale[i]) % 12)];
      best = std::max(best, inside);
    }
  }
  return double(best) / double(notes.size());
}

std::optional<double> notes_per_onset(const std::vector<midi::Note>& notes) {
  if (notes.empty()) return std::nullopt;
  std::vector<int64_t> onsets;
  for (const midi::Note& note : notes) onsets.push_back(note.start);
  std::sort(onsets.begin(), onsets.end());
  const auto distinct = std::unique(onsets.begin(), onsets.end()) - onsets.begin();
  return double(notes.size()) / double(distinct);
}

std::optional<double> polyphony(const std::vector<midi::Note>& notes) {
  std::vector<std::pair<int64_t, int64_t>> spans;
  double total = 0.0;
  for (const midi::Note& note : notes) {
    if (note.end <= note.start) continue;
    spans.emplace_back(note.start, note.end);
    total += double(note.end - note.start);
  }
  if (spans.empty()) return std::nullopt;
  std::sort(spans.begin(), spans.end());
  double covered = 0.0;
  int64_t begin = spans[0].first, end = spans[0].second;
  for (const auto& [s, e] : spans) {
    if (s > end) {
      covered += double(end - begin);
      begin = s;
      end = e;
    } else {
      end = std::max(end, e);
    }
  }
  covered += double(end - begin);
  return total / covered;
}

std::optional<double> groove_consistency(const std::vector<BarMask>& bars) {
  if (bars.size() < 2) return std::nullopt;
  double distance = 0.0;
  for (size_t i = 1; i < bars.size(); ++i) distance += double(std::bitset<32>(bars[i - 1] ^ bars[i]).count());
  return 1.0 - distance / double(bars.size() - 1) / double(kPositionsPerBar);
}

std::optional<double> chroma_agreement(const std::vector<midi::Note>& a, const std::vector<midi::Note>& b,
                                       int ticks_per_quarter, int64_t num_bars) {
  ACC_CHECK(ticks_per_quarter >= 1, "ticks per quarter", "not positive");
  // [bar][pitch class] sounding ticks (harmony.h: a note across a bar line counts in both).
  const std::vector<BarChroma> ca = bar_chromas(a, ticks_per_quarter, num_bars);
  const std::vector<BarChroma> cb = bar_chromas(b, ticks_per_quarter, num_bars);
  double sum = 0.0;
  int bars = 0;
  for (size_t i = 0; i < size_t(std::max<int64_t>(num_bars, 0)); ++i) {
    double dot = 0.0, na = 0.0, nb = 0.0;
    for (size_t pc = 0; pc < 12; ++pc) {
      const double x = double(ca[i][pc]), y = double(cb[i][pc]);
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    if (na == 0.0 || nb == 0.0) continue;
    sum += dot / std::sqrt(na * nb);
    ++bars;
  }
  if (bars == 0) return std::nullopt;
  return sum / bars;
}

std::optional<double> mean_defined(const std::vector<std::optional<double>>& values) {
  double sum = 0.0;
  size_t n = 0;
  for (const auto& v : values) {
    if (!v) continue;
    sum += *v;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / double(n);
}

}  // namespace acc::eval
