// The per-part measures: one entry each (see part_measures.h). Definitions:
// include/accompanist/eval/music_stats.h and docs/evaluation.md.
#include "eval/part_measures.h"

#include "accompanist/eval/music_stats.h"

namespace acc::eval {

const std::vector<PartMeasure>& part_measures() {
  using P = const AnalysedPart&;
  static const std::vector<PartMeasure> kMeasures = {
      {{"pitch", "range"}, "pitch range", "semitones", [](P p) { return pitch_range(p.part.notes); }},
      {{"pitch", "class_entropy"},
       "pitch-class entropy",
       "bits",
       [](P p) { return pitch_class_entropy(p.part.notes); }},
      {{"pitch", "scale_consistency"}, "scale consistency", "", [](P p) { return scale_consistency(p.part.notes); }},
      {{"polyphony"}, "polyphony", "", [](P p) { return polyphony(p.part.notes); }},
      {{"notes_per_onset"}, "notes per onset", "", [](P p) { return notes_per_onset(p.part.notes); }},
      {{"groove_consistency"}, "groove consistency", "", [](P p) { return groove_consistency(p.bars); }},
      {{"chroma_agreement"},
       "chroma agreement with the source",
       "",
       [](P p) { return chroma_agreement(p.part.notes, p.source.notes, tokenizer::kDecodeTicksPerQuarter, p.span); },
       ReportSection::BeyondTheThesis,
       {Part::Generated, Part::Reference}},
  };
  return kMeasures;
}

void add_part_measures(nlohmann::ordered_json& report, const std::vector<SampleAnalysis>& analyses) {
  for (const PartMeasure& m : part_measures()) {
    nlohmann::ordered_json values;
    for (Part part : m.parts) {
      std::vector<std::optional<double>> per_sample;
      per_sample.reserve(analyses.size());
      for (const SampleAnalysis& a : analyses) per_sample.push_back(m.compute(a.part(part)));
      const std::optional<double> mean = mean_defined(per_sample);
      values[part_name(part)] = mean ? nlohmann::ordered_json(*mean) : nlohmann::ordered_json(nullptr);
    }
    nlohmann::ordered_json* node = &report;
    for (const std::string& k : m.key) node = &(*node)[k];
    *node = std::move(values);
  }
}

const nlohmann::ordered_json& measure_in(const nlohmann::ordered_json& report, const PartMeasure& measure) {
  static const nlohmann::ordered_json null_value;
  const nlohmann::ordered_json* node = &report;
  for (const std::string& k : measure.key) {
    if (!node->is_object() || !node->contains(k)) return null_value;
    node = &(*node)[k];
  }
  return *node;
}

}  // namespace acc::eval
