#include "eval/harmony_report.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "accompanist/eval/harmony.h"
#include "accompanist/util/splitmix64.h"
#include "eval/random.h"

namespace acc::eval {

namespace {

using json = nlohmann::ordered_json;

// Counts pooled over the bars of many samples.
struct Totals {
  int64_t root_bars = 0, root_hits = 0, chord_time = 0, tone_time = 0, filled = 0, reference_filled = 0;
  void add(const PartHarmony& h, int64_t reference_filled_bars) {
    root_bars += h.root_bars;
    root_hits += h.root_hits;
    chord_time += h.chord_time;
    tone_time += h.tone_time;
    filled += h.filled_bars;
    reference_filled += reference_filled_bars;
  }
};

json ratio(int64_t num, int64_t den) {
  return den > 0 ? json(double(num) / double(den)) : json(nullptr);
}
json optional_json(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

json match_json(const std::vector<int>& matches) {
  json out = json::array();
  for (int m : matches) out.push_back(m < 0 ? json(nullptr) : json(m == 1));
  return out;
}

uint64_t sample_seed(uint64_t seed, size_t i) {
  return util::splitmix64(seed ^ (uint64_t(i + 1) * 0xE7037ED1A0B428DBull));
}

}  // namespace

json harmony_report(const std::vector<HarmonySample>& samples, const HarmonyReportOptions& options) {
  const int tpq = options.ticks_per_quarter;
  const size_t n = samples.size();
  std::vector<std::vector<std::optional<Chord>>> chords(n);
  std::vector<PartHarmony> generated(n), reference(n), mock(n);
  Totals generated_totals, reference_totals, mock_totals, shuffled_totals;
  int64_t bars = 0, chord_bars = 0;
  for (size_t i = 0; i < n; ++i) {
    const HarmonySample& s = samples[i];
    chords[i] = bar_chords(*s.source, tpq, s.span);
    generated[i] = part_harmony(chords[i], *s.generated, tpq);
    reference[i] = part_harmony(chords[i], *s.reference, tpq);
    mock[i] = part_harmony(chords[i], random_pitch_part(*s.generated, sample_seed(options.mock_seed, i)), tpq);
    const int64_t ref_filled = reference[i].filled_bars;
    generated_totals.add(generated[i], ref_filled);
    reference_totals.add(reference[i], ref_filled);
    mock_totals.add(mock[i], ref_filled);
    bars += s.span;
    for (const auto& c : chords[i]) chord_bars += c.has_value();
  }

  // Generated part i over the source, reference and span of sample perm[i].
  const int shuffles = n > 0 ? std::max(options.shuffles, 0) : 0;
  detail::Rng rng(options.shuffle_seed, 0x6861726dull);  // "harm"
  std::vector<size_t> perm(n);
  for (int s = 0; s < shuffles; ++s) {
    std::iota(perm.begin(), perm.end(), size_t(0));
    for (size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[size_t(rng.below(i))]);
    for (size_t i = 0; i < n; ++i) {
      const size_t j = perm[i];
      shuffled_totals.add(part_harmony(chords[j], *samples[i].generated, tpq), reference[j].filled_bars);
    }
  }

  auto four = [&](auto f) {
    return json{{"generated", f(generated_totals)},
                {"reference", f(reference_totals)},
                {"mock", f(mock_totals)},
                {"shuffled", f(shuffled_totals)}};
  };
  json h;
  h["root_agreement"] = four([](const Totals& t) { return ratio(t.root_hits, t.root_bars); });
  h["chord_tone_rate"] = four([](const Totals& t) { return ratio(t.tone_time, t.chord_time); });
  h["bars_filled"] = four([](const Totals& t) { return ratio(t.filled, t.reference_filled); });
  h["bars_counted"] = four([](const Totals& t) { return json(t.root_bars); });
  // The shuffled totals pool every permutation: bars per permutation.
  h["bars_counted"]["shuffled"] = shuffles ? json(double(shuffled_totals.root_bars) / shuffles) : json(nullptr);
  h["bars"] = bars;
  h["chord_bars"] = chord_bars;
  h["shuffles"] = shuffles;

  h["per_sample"] = json::array();
  for (size_t i = 0; i < n; ++i) {
    h["per_sample"].push_back({{"index", samples[i].index},
                               {"root_agreement", optional_json(generated[i].root_agreement())},
                               {"chord_tone_rate", optional_json(generated[i].chord_tone_rate())},
                               {"bars_filled", ratio(generated[i].filled_bars, reference[i].filled_bars)}});
  }
  h["per_bar"] = json::array();
  for (size_t i = 0; i < n && int(i) < options.per_bar_samples; ++i) {
    json names = json::array();
    for (const auto& c : chords[i]) names.push_back(c ? json(chord_name(*c)) : json(nullptr));
    h["per_bar"].push_back({{"index", samples[i].index},
                            {"chords", std::move(names)},
                            {"generated", match_json(generated[i].root_match)},
                            {"reference", match_json(reference[i].root_match)}});
  }
  return h;
}

}  // namespace acc::eval
