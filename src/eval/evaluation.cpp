#include "accompanist/eval/evaluation.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "accompanist/eval/key.h"
#include "accompanist/eval/levenshtein.h"
#include "accompanist/eval/rhythm.h"
#include "accompanist/tokenizer/decoded_part.h"
#include "accompanist/tokenizer/statistics.h"
#include "accompanist/util/error.h"
#include "accompanist/util/splitmix64.h"
#include "accompanist/util/thread_pool.h"
#include "accompanist/util/version.h"
#include "eval/harmony_report.h"
#include "eval/part_measures.h"
#include "eval/sample_analysis.h"

namespace acc::eval {

namespace {

using json = nlohmann::ordered_json;
constexpr int kTpq = tokenizer::kDecodeTicksPerQuarter;
// Bars with this many notes or more share the last bin of the notes-per-bar histogram.
constexpr int kNotesPerBarBins = 33;

struct PartBars {
  std::vector<BarMask> bars;
  std::vector<int> notes;
};

// Every sample and validation part decoded and measured per bar.
struct Analyses {
  std::vector<SampleAnalysis> samples;
  std::vector<PartBars> validation;
};

// The bars of all samples (and of the validation parts) pooled, in sample order.
struct BarSets {
  std::vector<BarMask> validation, generated, reference, mock;
  std::vector<int> validation_notes, generated_notes, reference_notes;  // notes per bar
};

struct TokenCounts {
  int64_t decodable = 0, generated_errors = 0, generated_tokens = 0, reference_errors = 0, reference_tokens = 0;
};

json array_json(const std::array<double, 32>& values) {
  return json(std::vector<double>(values.begin(), values.end()));
}
json curve_json(const TopKCurve& curve) {
  return json(std::vector<double>(curve.begin(), curve.end()));
}

double mean_of(const std::vector<int>& counts) {
  if (counts.empty()) return 0.0;
  return double(std::accumulate(counts.begin(), counts.end(), int64_t(0))) / double(counts.size());
}

// Fraction of bars with n notes, n = 0 .. kNotesPerBarBins - 1 (the last: n or more).
json notes_per_bar_histogram(const std::vector<int>& counts) {
  std::vector<double> histogram(kNotesPerBarBins, 0.0);
  for (int n : counts) histogram[size_t(std::min(n, kNotesPerBarBins - 1))] += 1.0;
  if (!counts.empty())
    for (double& v : histogram) v /= double(counts.size());
  return json(histogram);
}

json keys_json(const std::vector<int>& ranking) {
  json names = json::array();
  for (int key : ranking) names.push_back(key_name(key));
  return names;
}

json key_or_null(const std::vector<int>& ranking) {
  return ranking.empty() ? json(nullptr) : json(key_name(ranking[0]));
}

json notes_json(const std::vector<midi::Note>& notes) {
  json out = json::array();
  for (const midi::Note& n : notes) out.push_back({n.pitch, n.start, n.end});
  return out;
}

// A seed for each independent random figure, derived from the user's seed.
uint64_t derive_seed(uint64_t seed, uint64_t figure) {
  return util::splitmix64(seed ^ (figure * 0xA0761D6478BD642Full));
}

// Decoding and per-part measures, in parallel, stored by index.
Analyses analyse_all(const EvaluationInput& input, util::ThreadPool& pool) {
  const tokenizer::Tokenizer& tok = *input.tokenizer;
  Analyses out;
  out.samples.resize(input.samples.size());
  pool.parallel_for(out.samples.size(), [&](size_t i) { out.samples[i] = analyse_sample(tok, input.samples[i]); });
  out.validation.resize(input.validation.size());
  pool.parallel_for(out.validation.size(), [&](size_t i) {
    const tokenizer::DecodedPart part = tokenizer::decode_part(tok, strip_special(input.validation[i]));
    int64_t span = part.bars;
    if (!input.validation_sources.empty())
      span = std::max(span, tokenizer::decode_part(tok, strip_special(input.validation_sources[i])).bars);
    out.validation[i].bars = bar_masks(part.notes, kTpq, span);
    out.validation[i].notes = notes_per_bar(part.notes, kTpq, span);
  });
  return out;
}

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

BarSets pool_bars(const Analyses& analyses, uint64_t seed) {
  BarSets s;
  for (const PartBars& p : analyses.validation) {
    append(s.validation, p.bars);
    append(s.validation_notes, p.notes);
  }
  for (const SampleAnalysis& a : analyses.samples) {
    append(s.generated, a.generated_bars);
    append(s.reference, a.reference_bars);
    append(s.generated_notes, a.generated_notes);
    append(s.reference_notes, a.reference_notes);
  }
  s.mock = mock_bars(s.generated, derive_seed(seed, 1));
  return s;
}

TokenCounts count_tokens(const std::vector<SampleAnalysis>& analyses) {
  TokenCounts c;
  for (const SampleAnalysis& a : analyses) {
    c.decodable += a.generated.notes.empty() ? 0 : 1;
    c.generated_errors += a.generated.grammar_errors;
    c.generated_tokens += a.generated.tokens;
    c.reference_errors += a.reference.grammar_errors;
    c.reference_tokens += a.reference.tokens;
  }
  return c;
}

// Generated bar i against reference bar i of the same sample, every bar.
json aligned_distance(const std::vector<SampleAnalysis>& analyses) {
  uint64_t sum = 0, bars = 0;
  for (const SampleAnalysis& a : analyses) {
    for (size_t b = 0; b < a.generated_bars.size(); ++b)
      sum += uint64_t(rhythm_distance(a.generated_bars[b], a.reference_bars[b]));
    bars += a.generated_bars.size();
  }
  return bars ? json(double(sum) / double(bars)) : json(nullptr);
}

// Thesis 4.3.1: histograms, densities and Table 2 (random bar pairs against the validation bars).
json rhythm_report(const BarSets& s, const std::vector<SampleAnalysis>& analyses, const EvaluationOptions& options,
                   int threads) {
  auto pair_mean = [&](const std::vector<BarMask>& set, bool distinct, uint64_t figure) {
    PairDistanceOptions pair_options;
    pair_options.pairs = options.pairs;
    pair_options.seed = derive_seed(options.seed, figure);
    pair_options.threads = threads;
    pair_options.distinct = distinct;
    const PairDistanceResult r = mean_random_pair_distance(set, s.validation, pair_options);
    return r.pairs ? json(r.mean) : json(nullptr);
  };
  json rhythm;
  rhythm["position_hist"] = {{"validation", array_json(position_histogram(s.validation))},
                             {"generated", array_json(position_histogram(s.generated))},
                             {"mock", array_json(position_histogram(s.mock))},
                             {"reference", array_json(position_histogram(s.reference))}};
  rhythm["notes_per_bar"] = {{"validation", mean_of(s.validation_notes)},
                             {"generated", mean_of(s.generated_notes)},
                             {"reference", mean_of(s.reference_notes)}};
  rhythm["onsets_per_bar"] = {{"validation", mean_onsets_per_bar(s.validation)},
                              {"generated", mean_onsets_per_bar(s.generated)},
                              {"mock", mean_onsets_per_bar(s.mock)},
                              {"reference", mean_onsets_per_bar(s.reference)}};
  rhythm["notes_per_bar_hist"] = {{"validation", notes_per_bar_histogram(s.validation_notes)},
                                  {"generated", notes_per_bar_histogram(s.generated_notes)},
                                  {"reference", notes_per_bar_histogram(s.reference_notes)}};
  rhythm["levenshtein"] = {
      {"generated", pair_mean(s.generated, false, 2)}, {"mock", pair_mean(s.mock, false, 3)},
      {"pairs", pair_mean(s.validation, true, 4)},     {"reference", pair_mean(s.reference, false, 5)},
      {"aligned", aligned_distance(analyses)},         {"random_pairs", options.pairs}};
  rhythm["bars"] = {{"validation", s.validation.size()}, {"generated", s.generated.size()}};
  return rhythm;
}

// Thesis 4.3.2: top-k key match of the generated part and its baselines.
json key_report(const EvaluationInput& input, const std::vector<SampleAnalysis>& analyses,
                const EvaluationOptions& options) {
  std::vector<int> reference_top;
  std::vector<std::vector<int>> generated_rankings, source_rankings;
  for (const SampleAnalysis& a : analyses) {
    reference_top.push_back(a.reference_keys.empty() ? -1 : a.reference_keys[0]);
    generated_rankings.push_back(a.generated_keys);
    source_rankings.push_back(a.source_keys);
  }
  json key;
  key["topk_match"] = {
      {"generated", curve_json(topk_match(reference_top, generated_rankings))},
      {"shuffled", curve_json(shuffled_topk_match(reference_top, generated_rankings, options.shuffles,
                                                  derive_seed(options.seed, 6)))},
      {"random_order", curve_json(random_order_topk_match(reference_top, generated_rankings, options.shuffles,
                                                          derive_seed(options.seed, 7)))},
      {"source", curve_json(topk_match(reference_top, source_rankings))}};
  key["samples"] = std::count_if(reference_top.begin(), reference_top.end(), [](int k) { return k >= 0; });
  key["per_sample"] = json::array();
  for (size_t i = 0; i < analyses.size(); ++i) {
    key["per_sample"].push_back({{"index", input.samples[i].index},
                                 {"reference_key", key_or_null(analyses[i].reference_keys)},
                                 {"generated_keys", keys_json(analyses[i].generated_keys)},
                                 {"source_key", key_or_null(analyses[i].source_keys)}});
  }
  return key;
}

// Harmony against the chords of the source bars (issue 13). report.json keeps
// the first piano_rolls samples' bars; page_bars gets them all (for the page).
json harmony_section(const EvaluationInput& input, const std::vector<SampleAnalysis>& analyses,
                     const EvaluationOptions& options, json& page_bars) {
  std::vector<HarmonySample> harmony_samples;
  for (size_t i = 0; i < analyses.size(); ++i) {
    const SampleAnalysis& a = analyses[i];
    harmony_samples.push_back(
        {input.samples[i].index, &a.source.notes, &a.reference.notes, &a.generated.notes, a.span});
  }
  HarmonyReportOptions harmony_options;
  harmony_options.ticks_per_quarter = kTpq;
  harmony_options.shuffles = options.shuffles;
  harmony_options.mock_seed = derive_seed(options.seed, 8);
  harmony_options.shuffle_seed = derive_seed(options.seed, 9);
  harmony_options.per_bar_samples = std::max(options.piano_rolls, options.page_samples);
  json harmony = harmony_report(harmony_samples, harmony_options);
  page_bars = std::move(harmony["per_bar"]);
  harmony["per_bar"] = json::array();
  for (size_t i = 0; i < page_bars.size() && int(i) < options.piano_rolls; ++i)
    harmony["per_bar"].push_back(page_bars[i]);
  return harmony;
}

// Token histograms before and after BPE (thesis Figs. 10-11).
json token_histograms(const EvaluationInput& input) {
  const tokenizer::Tokenizer& tok = *input.tokenizer;
  tokenizer::TokenStatistics validation_stats(tok.bpe()), generated_stats(tok.bpe());
  for (const tokenizer::TokenSeq& seq : input.validation) validation_stats.add_bpe_sequence(strip_special(seq));
  for (const Sample& s : input.samples) generated_stats.add_bpe_sequence(strip_special(s.generated));
  return {{"validation", json::parse(validation_stats.to_json())},
          {"generated", json::parse(generated_stats.to_json())}};
}

json settings_json(const EvaluationInput& input, const EvaluationOptions& options) {
  json settings = input.settings;
  settings["seed"] = options.seed;
  settings["pairs"] = options.pairs;
  settings["shuffles"] = options.shuffles;
  settings["validation_sequences"] = input.validation.size();
  settings["tokenizer_sha256"] = input.tokenizer->sha256();
  settings["vocab_size"] = input.tokenizer->vocab_size();
  return settings;
}

// Everything of report.json, in its key order.
json build_report(const EvaluationInput& input, const EvaluationOptions& options, const Analyses& analyses, int threads,
                  json& page_bars) {
  const BarSets bars = pool_bars(analyses, options.seed);
  const TokenCounts counts = count_tokens(analyses.samples);
  json report;
  report["format"] = "accompanist-evaluation";
  report["version"] = 1;
  report["mode"] = input.mode;
  report["samples"] = analyses.samples.size();
  report["decodable"] = counts.decodable;
  report["rhythm"] = rhythm_report(bars, analyses.samples, options, threads);
  report["key"] = key_report(input, analyses.samples, options);
  report["empty_bar_rate"] = {{"reference", empty_bar_rate(bars.reference)},
                              {"generated", empty_bar_rate(bars.generated)},
                              {"validation", empty_bar_rate(bars.validation)}};
  report["grammar_error_rate"] =
      counts.generated_tokens ? double(counts.generated_errors) / double(counts.generated_tokens) : 0.0;
  report["grammar"] = {
      {"generated_errors", counts.generated_errors},
      {"generated_tokens", counts.generated_tokens},
      {"reference_error_rate",
       counts.reference_tokens ? double(counts.reference_errors) / double(counts.reference_tokens) : 0.0}};
  add_part_measures(report, analyses.samples);  // beyond the thesis: part_measures.cpp
  report["harmony"] = harmony_section(input, analyses.samples, options, page_bars);
  report["token_histograms"] = token_histograms(input);
  report["settings"] = settings_json(input, options);
  report["git_revision"] = acc::git_revision();
  return report;
}

// The notes of one sample for a piano roll.
json sample_notes(const Sample& sample, const SampleAnalysis& a) {
  return {{"index", sample.index},
          {"bars", a.span},
          {"source", notes_json(a.source.notes)},
          {"generated", notes_json(a.generated.notes)},
          {"reference", notes_json(a.reference.notes)}};
}

json plot_data(const EvaluationInput& input, const std::vector<SampleAnalysis>& analyses,
               const EvaluationOptions& options) {
  json rolls = json::array();
  for (size_t i = 0; i < analyses.size() && int(i) < options.piano_rolls; ++i)
    rolls.push_back(sample_notes(input.samples[i], analyses[i]));
  return {{"ticks_per_quarter", kTpq}, {"samples", std::move(rolls)}};
}

json page_data(const EvaluationInput& input, const std::vector<SampleAnalysis>& analyses,
               const EvaluationOptions& options, const json& page_bars) {
  json page = json::array();
  for (size_t i = 0; i < analyses.size() && int(i) < options.page_samples; ++i) {
    const json& bars = page_bars[i];
    json sample = sample_notes(input.samples[i], analyses[i]);
    sample["chords"] = bars["chords"];
    sample["root_generated"] = bars["generated"];
    sample["root_reference"] = bars["reference"];
    sample["reference_key"] = key_or_null(analyses[i].reference_keys);
    sample["generated_key"] = key_or_null(analyses[i].generated_keys);
    page.push_back(std::move(sample));
  }
  return {{"ticks_per_quarter", kTpq}, {"samples", std::move(page)}};
}

}  // namespace

Evaluation evaluate(const EvaluationInput& input, const EvaluationOptions& options) {
  ACC_CHECK(input.tokenizer != nullptr, "evaluation", "no tokenizer");
  ACC_CHECK(!input.samples.empty(), "evaluation", "no samples");
  ACC_CHECK(input.validation_sources.empty() || input.validation_sources.size() == input.validation.size(),
            "evaluation", "validation sources and targets differ in number");
  const int threads = util::resolve_thread_count(options.threads);
  util::ThreadPool pool(threads);
  const Analyses analyses = analyse_all(input, pool);
  json page_bars;
  Evaluation evaluation;
  evaluation.report = build_report(input, options, analyses, threads, page_bars);
  evaluation.plot_data = plot_data(input, analyses.samples, options);
  evaluation.page = page_data(input, analyses.samples, options, page_bars);
  return evaluation;
}

}  // namespace acc::eval
