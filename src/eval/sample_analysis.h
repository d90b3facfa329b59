// One sample as the evaluation analyses it: its three parts decoded to notes
// over the sample's bar span, with bar rhythms, notes per bar and key rankings.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/eval/rhythm.h"
#include "accompanist/eval/samples.h"
#include "accompanist/tokenizer/decoded_part.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::eval {

// The parts a measure is taken of: the reference (the data's level) and the generated part.
enum class Part { Reference, Generated };
const char* part_name(Part part);  // "reference", "generated": the keys in report.json

// One part of an analysed sample, with the source part it accompanies.
struct AnalysedPart {
  const tokenizer::DecodedPart& part;
  const std::vector<BarMask>& bars;  // onset mask of each bar of the span
  const std::vector<int>& notes_per_bar;
  const tokenizer::DecodedPart& source;
  int64_t span;  // bars of the sample
};

struct SampleAnalysis {
  tokenizer::DecodedPart source, reference, generated;
  // max(bars of source, reference, generated): a part that stops early has empty bars.
  int64_t span = 0;
  std::vector<BarMask> reference_bars, generated_bars;
  std::vector<int> reference_notes, generated_notes;  // notes per bar
  std::vector<int> source_keys, reference_keys, generated_keys;

  AnalysedPart part(Part which) const;
};

SampleAnalysis analyse_sample(const tokenizer::Tokenizer& tok, const Sample& sample);

}  // namespace acc::eval
