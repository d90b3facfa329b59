#include "accompanist/eval/evaluation.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "accompanist/eval/key.h"
#include "accompanist/eval/levenshtein.h"
#include "accompanist/eval/music_stats.h"
#include "accompanist/eval/part_analysis.h"
#include "accompanist/eval/rhythm.h"
#include "accompanist/tokenizer/statistics.h"
#include "accompanist/util/error.h"
#include "accompanist/util/thread_pool.h"
#include "accompanist/util/version.h"
#include "eval/harmony_report.h"
#include "eval/random.h"

namespace acc::eval {

namespace {

using json = nlohmann::ordered_json;
constexpr int kTpq = tokenizer::kDecodeTicksPerQuarter;
// Bars with this many notes or more share the last bin of the notes-per-bar histogram.
constexpr int kNotesPerBarBins = 33;

struct SampleAnalysis {
  DecodedPart source, reference, generated;
  int64_t span = 0;
  std::vector<BarMask> reference_bars, generated_bars;
  std::vector<int> reference_notes, generated_notes;  // notes per bar
  std::vector<int> source_keys, reference_keys, generated_keys;
};

struct PartBars {
  std::vector<BarMask> bars;
  std::vector<int> notes;
};

SampleAnalysis analyse_sample(const tokenizer::Tokenizer& tok, const Sample& sample) {
  SampleAnalysis a;
  a.source = decode_part(tok, sample.source);
  a.reference = decode_part(tok, sample.reference);
  a.generated = decode_part(tok, sample.generated);
  a.span = std::max({a.source.bars, a.reference.bars, a.generated.bars});
  a.reference_bars = bar_masks(a.reference.notes, kTpq, a.span);
  a.generated_bars = bar_masks(a.generated.notes, kTpq, a.span);
  a.reference_notes = notes_per_bar(a.reference.notes, kTpq, a.span);
  a.generated_notes = notes_per_bar(a.generated.notes, kTpq, a.span);
  a.source_keys = rank_keys(a.source.notes);
  a.reference_keys = rank_keys(a.reference.notes);
  a.generated_keys = rank_keys(a.generated.notes);
  return a;
}

json array_json(const std::array<double, 32>& values) {
  return json(std::vector<double>(values.begin(), values.end()));
}
json curve_json(const TopKCurve& curve) {
  return json(std::vector<double>(curve.begin(), curve.end()));
}
json optional_json(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
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
  uint64_t state = seed ^ (figure * 0xA0761D6478BD642Full);
  return detail::splitmix64(state);
}

template <class F>
std::vector<std::optional<double>> per_sample(const std::vector<SampleAnalysis>& analyses, F f) {
  std::vector<std::optional<double>> values;
  values.reserve(analyses.size());
  for (const SampleAnalysis& a : analyses) values.push_back(f(a));
  return values;
}

}  // namespace

Evaluation evaluate(const EvaluationInput& input, const EvaluationOptions& options) {
  ACC_CHECK(input.tokenizer != nullptr, "evaluation", "no tokenizer");
  ACC_CHECK(!input.samples.empty(), "evaluation", "no samples");
  ACC_CHECK(input.validation_sources.empty() || input.validation_sources.size() == input.validation.size(),
            "evaluation", "validation sources and targets differ in number");
  const tokenizer::Tokenizer& tok = *input.tokenizer;
  const int threads = util::resolve_thread_count(options.threads);
  util::ThreadPool pool(threads);

  // Decoding and per-part measures, in parallel, stored by index.
  std::vector<SampleAnalysis> analyses(input.samples.size());
  pool.parallel_for(analyses.size(), [&](size_t i) { analyses[i] = analyse_sample(tok, input.samples[i]); });
  std::vector<PartBars> validation_parts(input.validation.size());
  pool.parallel_for(validation_parts.size(), [&](size_t i) {
    const DecodedPart part = decode_part(tok, input.validation[i]);
    int64_t span = part.bars;
    if (!input.validation_sources.empty()) span = std::max(span, decode_part(tok, input.validation_sources[i]).bars);
    validation_parts[i].bars = bar_masks(part.notes, kTpq, span);
    validation_parts[i].notes = notes_per_bar(part.notes, kTpq, span);
  });

  // Bar sets, in sample order.
  std::vector<BarMask> validation_bars, generated_bars, reference_bars;
  std::vector<int> validation_notes, generated_notes, reference_notes;
  for (const PartBars& p : validation_parts) {
    validation_bars.insert(validation_bars.end(), p.bars.begin(), p.bars.end());
    validation_notes.insert(validation_notes.end(), p.notes.begin(), p.notes.end());
  }
  int64_t decodable = 0, generated_errors = 0, generated_tokens = 0, reference_errors = 0, reference_tokens = 0;
  uint64_t aligned_sum = 0, aligned_bars = 0;
  for (const SampleAnalysis& a : analyses) {
    generated_bars.insert(generated_bars.end(), a.generated_bars.begin(), a.generated_bars.end());
    reference_bars.insert(reference_bars.end(), a.reference_bars.begin(), a.reference_bars.end());
    generated_notes.insert(generated_notes.end(), a.generated_notes.begin(), a.generated_notes.end());
    reference_notes.insert(reference_notes.end(), a.reference_notes.begin(), a.reference_notes.end());
    decodable += a.generated.notes.empty() ? 0 : 1;
    generated_errors += a.generated.grammar_errors;
    generated_tokens += a.generated.tokens;
    reference_errors += a.reference.grammar_errors;
    reference_tokens += a.reference.tokens;
    for (size_t b = 0; b < a.generated_bars.size(); ++b)
      aligned_sum += uint64_t(rhythm_distance(a.generated_bars[b], a.reference_bars[b]));
    aligned_bars += a.generated_bars.size();
  }
  const std::vector<BarMask> mock = mock_bars(generated_bars, derive_seed(options.seed, 1));

  // Table 2: random bar pairs against the validation bars.
  auto pair_mean = [&](const std::vector<BarMask>& set, bool distinct, uint64_t figure) {
    PairDistanceOptions pair_options;
    pair_options.pairs = options.pairs;
    pair_options.seed = derive_seed(options.seed, figure);
    pair_options.threads = threads;
    pair_options.distinct = distinct;
    const PairDistanceResult r = mean_random_pair_distance(set, validation_bars, pair_options);
    return r.pairs ? json(r.mean) : json(nullptr);
  };

  json rhythm;
  rhythm["position_hist"] = {{"validation", array_json(position_histogram(validation_bars))},
                             {"generated", array_json(position_histogram(generated_bars))},
                             {"mock", array_json(position_histogram(mock))},
                             {"reference", array_json(position_histogram(reference_bars))}};
  rhythm["notes_per_bar"] = {{"validation", mean_of(validation_notes)},
                             {"generated", mean_of(generated_notes)},
                             {"reference", mean_of(reference_notes)}};
  rhythm["onsets_per_bar"] = {{"validation", mean_onsets_per_bar(validation_bars)},
                              {"generated", mean_onsets_per_bar(generated_bars)},
                              {"mock", mean_onsets_per_bar(mock)},
                              {"reference", mean_onsets_per_bar(reference_bars)}};
  rhythm["notes_per_bar_hist"] = {{"validation", notes_per_bar_histogram(validation_notes)},
                                  {"generated", notes_per_bar_histogram(generated_notes)},
                                  {"reference", notes_per_bar_histogram(reference_notes)}};
  rhythm["levenshtein"] = {{"generated", pair_mean(generated_bars, false, 2)},
                           {"mock", pair_mean(mock, false, 3)},
                           {"pairs", pair_mean(validation_bars, true, 4)},
                           {"reference", pair_mean(reference_bars, false, 5)},
                           {"aligned", aligned_bars ? json(double(aligned_sum) / double(aligned_bars)) : json(nullptr)},
                           {"random_pairs", options.pairs}};
  rhythm["bars"] = {{"validation", validation_bars.size()}, {"generated", generated_bars.size()}};

  // Tonality.
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

  json report;
  report["format"] = "accompanist-evaluation";
  report["version"] = 1;
  report["mode"] = input.mode;
  report["samples"] = analyses.size();
  report["decodable"] = decodable;
  report["rhythm"] = std::move(rhythm);
  report["key"] = std::move(key);
  report["empty_bar_rate"] = {{"reference", empty_bar_rate(reference_bars)},
                              {"generated", empty_bar_rate(generated_bars)},
                              {"validation", empty_bar_rate(validation_bars)}};
  report["grammar_error_rate"] = generated_tokens ? double(generated_errors) / double(generated_tokens) : 0.0;
  report["grammar"] = {
      {"generated_errors", generated_errors},
      {"generated_tokens", generated_tokens},
      {"reference_error_rate", reference_tokens ? double(reference_errors) / double(reference_tokens) : 0.0}};

  // Beyond the thesis: means over the samples where a measure is defined.
  auto both = [&](auto f) {
    return json{
        {"reference", optional_json(mean_defined(per_sample(analyses, [&](auto& a) { return f(a.reference); })))},
        {"generated", optional_json(mean_defined(per_sample(analyses, [&](auto& a) { return f(a.generated); })))}};
  };
  report["pitch"] = {{"range", both([](const DecodedPart& p) { return pitch_range(p.notes); })},
                     {"class_entropy", both([](const DecodedPart& p) { return pitch_class_entropy(p.notes); })},
                     {"scale_consistency", both([](const DecodedPart& p) { return scale_consistency(p.notes); })}};
  report["polyphony"] = both([](const DecodedPart& p) { return polyphony(p.notes); });
  report["notes_per_onset"] = both([](const DecodedPart& p) { return notes_per_onset(p.notes); });
  report["groove_consistency"] = {
      {"reference",
       optional_json(mean_defined(per_sample(analyses, [](auto& a) { return groove_consistency(a.reference_bars); })))},
      {"generated", optional_json(mean_defined(
                        per_sample(analyses, [](auto& a) { return groove_consistency(a.generated_bars); })))}};
  report["chroma_agreement"] = {
      {"generated",
       optional_json(mean_defined(per_sample(
           analyses, [](auto& a) { return chroma_agreement(a.generated.notes, a.source.notes, kTpq, a.span); })))},
      {"reference", optional_json(mean_defined(per_sample(analyses, [](auto& a) {
         return chroma_agreement(a.reference.notes, a.source.notes, kTpq, a.span);
       })))}};

  // Harmony against the chords of the source bars (issue 13).
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
  // report.json keeps the first piano_rolls samples' bars; the page gets them all.
  json page_bars = std::move(harmony["per_bar"]);
  harmony["per_bar"] = json::array();
  for (size_t i = 0; i < page_bars.size() && int(i) < options.piano_rolls; ++i)
    harmony["per_bar"].push_back(page_bars[i]);
  report["harmony"] = std::move(harmony);

  // Token histograms before and after BPE (thesis Figs. 10-11).
  tokenizer::TokenStatistics validation_stats(tok.bpe()), generated_stats(tok.bpe());
  for (const tokenizer::TokenSeq& seq : input.validation) validation_stats.add_bpe_sequence(strip_special(seq));
  for (const Sample& s : input.samples) generated_stats.add_bpe_sequence(strip_special(s.generated));
  report["token_histograms"] = {{"validation", json::parse(validation_stats.to_json())},
                                {"generated", json::parse(generated_stats.to_json())}};

  json settings = input.settings;
  settings["seed"] = options.seed;
  settings["pairs"] = options.pairs;
  settings["shuffles"] = options.shuffles;
  settings["validation_sequences"] = input.validation.size();
  settings["tokenizer_sha256"] = tok.sha256();
  settings["vocab_size"] = tok.vocab_size();
  report["settings"] = std::move(settings);
  report["git_revision"] = acc::git_revision();

  Evaluation evaluation;
  evaluation.report = std::move(report);
  json rolls = json::array();
  for (size_t i = 0; i < analyses.size() && int(i) < options.piano_rolls; ++i) {
    rolls.push_back({{"index", input.samples[i].index},
                     {"bars", analyses[i].span},
                     {"source", notes_json(analyses[i].source.notes)},
                     {"generated", notes_json(analyses[i].generated.notes)},
                     {"reference", notes_json(analyses[i].reference.notes)}});
  }
  evaluation.plot_data = {{"ticks_per_quarter", kTpq}, {"samples", std::move(rolls)}};
  json page = json::array();
  for (size_t i = 0; i < analyses.size() && int(i) < options.page_samples; ++i) {
    const json& bars = page_bars[i];
    page.push_back({{"index", input.samples[i].index},
                    {"bars", analyses[i].span},
                    {"source", notes_json(analyses[i].source.notes)},
                    {"generated", notes_json(analyses[i].generated.notes)},
                    {"reference", notes_json(analyses[i].reference.notes)},
                    {"chords", bars["chords"]},
                    {"root_generated", bars["generated"]},
                    {"root_reference", bars["reference"]},
                    {"reference_key", key_or_null(analyses[i].reference_keys)},
                    {"generated_key", key_or_null(analyses[i].generated_keys)}});
  }
  evaluation.page = {{"ticks_per_quarter", kTpq}, {"samples", std::move(page)}};
  return evaluation;
}

}  // namespace acc::eval
