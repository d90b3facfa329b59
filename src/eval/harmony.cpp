#include "accompanist/eval/harmony.h"

#include <algorithm>

#include "accompanist/eval/rhythm.h"
#include "accompanist/util/error.h"
#include "eval/random.h"

namespace acc::eval {

namespace {

int pitch_class(int pitch) {
  return ((pitch % 12) + 12) % 12;
}

}  // namespace

std::optional<double> PartHarmony::root_agreement() const {
  if (root_bars == 0) return std::nullopt;
  return double(root_hits) / double(root_bars);
}

std::optional<double> PartHarmony::chord_tone_rate() const {
  if (chord_time == 0) return std::nullopt;
  return double(tone_time) / double(chord_time);
}

PartHarmony part_harmony(const std::vector<std::optional<Chord>>& chords, const std::vector<midi::Note>& part,
                         int ticks_per_quarter) {
  const int64_t num_bars = int64_t(chords.size());
  PartHarmony h;
  // First onset per bar and the lowest pitch among the notes starting then.
  std::vector<int64_t> first_onset(chords.size(), -1);
  std::vector<int> lowest(chords.size(), 0);
  for (const midi::Note& note : part) {
    if (note.start < 0) continue;
    const int64_t bar = note_position(note.start, ticks_per_quarter).bar;
    if (bar >= num_bars) continue;
    int64_t& first = first_onset[size_t(bar)];
    if (first < 0 || note.start < first) {
      first = note.start;
      lowest[size_t(bar)] = note.pitch;
    } else if (note.start == first) {
      lowest[size_t(bar)] = std::min(lowest[size_t(bar)], note.pitch);
    }
  }
  h.root_match.assign(chords.size(), -1);
  for (size_t b = 0; b < chords.size(); ++b) {
    if (first_onset[b] < 0) continue;
    ++h.filled_bars;
    if (!chords[b]) continue;
    h.root_match[b] = pitch_class(lowest[b]) == chords[b]->root ? 1 : 0;
    ++h.root_bars;
    h.root_hits += h.root_match[b];
  }
  const std::vector<BarChroma> chroma = bar_chromas(part, ticks_per_quarter, num_bars);
  for (size_t b = 0; b < chords.size(); ++b) {
    if (!chords[b]) continue;
    for (int pc = 0; pc < 12; ++pc) {
      h.chord_time += chroma[b][size_t(pc)];
      if (chords[b]->contains(pc)) h.tone_time += chroma[b][size_t(pc)];
    }
  }
  return h;
}

std::vector<midi::Note> random_pitch_part(const std::vector<midi::Note>& part, uint64_t seed) {
  if (part.empty()) return {};
  const auto [lo, hi] = std::minmax_element(part.begin(), part.end(),
                                            [](const midi::Note& a, const midi::Note& b) { return a.pitch < b.pitch; });
  const int low = lo->pitch, span = hi->pitch - lo->pitch + 1;
  detail::Rng rng(seed, 0x7069746368ull);  // "pitch"
  std::vector<midi::Note> out = part;
  for (midi::Note& note : out) note.pitch = low + int(rng.below(uint64_t(span)));
  return out;
}

}  // namespace acc::eval
