// The per-part measures of the evaluation ("Beyond the thesis": pitch range,
// pitch-class entropy, groove consistency, ...) as one table. evaluate()
// computes report.json from it, and report.md and report.html take their rows
// (label, unit, values) from it, so a measure is one entry in
// part_measures.cpp (docs/architecture.md, "Add an evaluation measure").
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "eval/sample_analysis.h"

namespace acc::eval {

// Where a measure's row is shown in report.md and report.html.
enum class ReportSection { BeyondTheThesis };

struct PartMeasure {
  std::vector<std::string> key;  // its path in report.json: {"pitch", "range"}
  std::string label;             // the row of report.md and report.html: "pitch range"
  std::string unit;              // "" when none: "semitones"
  // The value for one part of one sample; nullopt where it is undefined
  // (report.json holds the mean over the samples where it is defined, null
  // when it is nowhere).
  std::function<std::optional<double>(const AnalysedPart&)> compute;
  ReportSection section = ReportSection::BeyondTheThesis;
  // The order of the parts under the key in report.json.
  std::vector<Part> parts = {Part::Reference, Part::Generated};

  std::string row_label() const { return unit.empty() ? label : label + " (" + unit + ")"; }
};

// Every measure, in report order.
const std::vector<PartMeasure>& part_measures();

// report[key] = {part: mean over the samples} for every measure, in table order.
void add_part_measures(nlohmann::ordered_json& report, const std::vector<SampleAnalysis>& analyses);

// A measure's object in a report.json ({"reference": ..., "generated": ...}),
// null when it is missing.
const nlohmann::ordered_json& measure_in(const nlohmann::ordered_json& report, const PartMeasure& measure);

}  // namespace acc::eval
