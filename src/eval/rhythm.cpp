#include "accompanist/eval/rhythm.h"

#include <bitset>
#include <utility>

#include "accompanist/midi/meter.h"
#include "accompanist/util/error.h"
#include "eval/random.h"

namespace acc::eval {

namespace {

void check_tpq(int ticks_per_quarter) {
  ACC_CHECK(ticks_per_quarter >= 1, "ticks per quarter", std::to_string(ticks_per_quarter) + " is not positive");
}

}  // namespace

NotePosition note_position(int64_t onset, int ticks_per_quarter) {
  check_tpq(ticks_per_quarter);
  const int64_t bar_ticks = int64_t(midi::kBeatsPerBar) * ticks_per_quarter;
  NotePosition p;
  p.bar = onset / bar_ticks;
  p.position = int(8 * (onset % bar_ticks) / ticks_per_quarter);
  return p;
}

std::vector<BarMask> bar_masks(const std::vector<midi::Note>& notes, int ticks_per_quarter, int64_t num_bars) {
  check_tpq(ticks_per_quarter);
  ACC_CHECK(num_bars >= 0, "bars", "negative count");
  std::vector<BarMask> masks(size_t(num_bars), 0);
  for (const midi::Note& note : notes) {
    if (note.start < 0) continue;
    const NotePosition p = note_position(note.start, ticks_per_quarter);
    if (p.bar < num_bars) masks[size_t(p.bar)] |= BarMask(1) << p.position;
  }
  return masks;
}

std::vector<int> notes_per_bar(const std::vector<midi::Note>& notes, int ticks_per_quarter, int64_t num_bars) {
  check_tpq(ticks_per_quarter);
  ACC_CHECK(num_bars >= 0, "bars", "negative count");
  std::vector<int> counts(size_t(num_bars), 0);
  for (const midi::Note& note : notes) {
    if (note.start < 0) continue;
    const NotePosition p = note_position(note.start, ticks_per_quarter);
    if (p.bar < num_bars) ++counts[size_t(p.bar)];
  }
  return counts;
}

std::string rhythm_string(BarMask mask) {
  std::string text(kPositionsPerBar, '0');
  for (int p = 0; p < kPositionsPerBar; ++p)
    if (mask >> p & 1u) text[size_t(p)] = '1';
  return text;
}

BarMask parse_rhythm_string(std::string_view text) {
  ACC_CHECK(text.size() == size_t(kPositionsPerBar), "rhythm string",
            "has " + std::to_string(text.size()) + " characters, not 32");
  BarMask mask = 0;
  for (int p = 0; p < kPositionsPerBar; ++p) {
    const char c = text[size_t(p)];
    ACC_CHECK(c == '0' || c == '1', "rhythm string", "characters must be '0' or '1'");
    if (c == '1') mask |= BarMask(1) << p;
  }
  return mask;
}

PositionHistogram position_histogram(const std::vector<BarMask>& bars) {
  PositionHistogram histogram{};
  if (bars.empty()) return histogram;
  std::array<uint64_t, kPositionsPerBar> counts{};
  for (BarMask mask : bars)
    for (int p = 0; p < kPositionsPerBar; ++p) counts[size_t(p)] += mask >> p & 1u;
  for (int p = 0; p < kPositionsPerBar; ++p) histogram[size_t(p)] = double(counts[size_t(p)]) / double(bars.size());
  return histogram;
}

double empty_bar_rate(const std::vector<BarMask>& bars) {
  if (bars.empty()) return 0.0;
  size_t empty = 0;
  for (BarMask mask : bars) empty += mask == 0;
  return double(empty) / double(bars.size());
}

double mean_onsets_per_bar(const std::vector<BarMask>& bars) {
  if (bars.empty()) return 0.0;
  uint64_t onsets = 0;
  for (BarMask mask : bars) onsets += std::bitset<32>(mask).count();
  return double(onsets) / double(bars.size());
}

std::vector<BarMask> mock_bars(const std::vector<BarMask>& bars, uint64_t seed) {
  detail::Rng rng(seed, 0x6d6f636bull);  // "mock"
  std::vector<BarMask> mock;
  mock.reserve(bars.size());
  for (BarMask mask : bars) {
    const int k = int(std::bitset<32>(mask).count());
    // Partial Fisher-Yates: the first k of a random permutation of 0..31.
    int positions[kPositionsPerBar];
    for (int p = 0; p < kPositionsPerBar; ++p) positions[p] = p;
    BarMask out = 0;
    for (int i = 0; i < k; ++i) {
      const int j = i + int(rng.below(uint64_t(kPositionsPerBar - i)));
      std::swap(positions[i], positions[j]);
      out |= BarMask(1) << positions[i];
    }
    mock.push_back(out);
  }
  return mock;
}

}  // namespace acc::eval
