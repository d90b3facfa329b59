// The evaluation of generated samples against their references and the
// validation set (SPEC section 8, thesis 4): every number of report.json.
//
// Definitions (see docs/evaluation.md for the full list):
// - A sample spans max(bars of source, reference, generated) bars; a part is
//   analysed over the whole span, so a part that stops early has empty bars
//   there (a silent generated part is what mode collapse looks like).
// - The validation bars are all bars of the validation split's target parts,
//   over the span of each pair as for a sample.
// - rhythm.levenshtein.generated / .mock: mean distance of `pairs` random
//   (generated bar, validation bar) / (mock bar, validation bar) pairs, the
//   thesis's Table 2; .pairs: random pairs of two different validation bars,
//   the data's own spread, which a model matching the data's rhythm
//   distribution would reach; .aligned: generated bar i against reference
//   bar i of the same sample (every bar, no sampling).
// - key.topk_match.generated: over the samples whose reference has a key
//   (non-constant pitch-class histogram), the fraction whose reference key is
//   among the generated part's first k keys; a silent generated part is a
//   miss. .shuffled: the same with generated rankings paired with random other
//   samples (averaged over `shuffles` permutations); .random_order: the
//   thesis's shuffled candidates (random key orders, k/24 expected);
//   .source: the source part's ranking instead of the generated one.
// - harmony: chords of the source bars and, for the generated part, the
//   reference, a random-pitch mock and a shuffled pairing, root agreement,
//   chord-tone rate and bars filled (harmony.h, eval/harmony_report.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accompanist/eval/samples.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::eval {

struct EvaluationOptions {
  uint64_t seed = 0;
  uint64_t pairs = 10'000'000;  // random bar pairs per Levenshtein figure (thesis: 10 million)
  int shuffles = 100;           // permutations averaged for the shuffled key baselines
  int threads = 0;              // 0 = all cores
  int piano_rolls = 4;          // samples whose notes go to plot_data for piano-roll images
  int page_samples = 50;        // samples shown bar by bar in report.html (Evaluation::page)
};

struct EvaluationInput {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  std::vector<Sample> samples;
  std::vector<tokenizer::TokenSeq> validation;  // target parts of the validation split (BPE ids)
  // Their source parts (empty, or one per target): a validation pair then
  // spans max(source bars, target bars) as a sample does, so trailing bars
  // where only the source plays count as empty target bars on both sides.
  std::vector<tokenizer::TokenSeq> validation_sources;
  std::string mode = "samples";                                        // or "reference-only" (generated = reference)
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();  // recorded under "settings"
};

struct Evaluation {
  nlohmann::ordered_json report;     // report.json
  nlohmann::ordered_json plot_data;  // notes of a few samples for piano rolls
  // For report.html: the first page_samples samples with their notes, the
  // chord of every source bar and the root agreement per bar.
  nlohmann::ordered_json page;
};

// Throws acc::Error when there are no samples, no tokenizer, or ids outside
// the vocabulary.
Evaluation evaluate(const EvaluationInput& input, const EvaluationOptions& options);

}  // namespace acc::eval
