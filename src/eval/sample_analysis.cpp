#include "eval/sample_analysis.h"

#include <algorithm>

#include "accompanist/eval/key.h"

namespace acc::eval {

const char* part_name(Part part) {
  return part == Part::Reference ? "reference" : "generated";
}

AnalysedPart SampleAnalysis::part(Part which) const {
  if (which == Part::Reference) return {reference, reference_bars, reference_notes, source, span};
  return {generated, generated_bars, generated_notes, source, span};
}

SampleAnalysis analyse_sample(const tokenizer::Tokenizer& tok, const Sample& sample) {
  constexpr int kTpq = tokenizer::kDecodeTicksPerQuarter;
  SampleAnalysis a;
  a.source = tokenizer::decode_part(tok, strip_special(sample.source));
  a.reference = tokenizer::decode_part(tok, strip_special(sample.reference));
  a.generated = tokenizer::decode_part(tok, strip_special(sample.generated));
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

}  // namespace acc::eval
