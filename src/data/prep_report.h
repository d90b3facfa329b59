// Pieces of the prep report (private to src/data): length summaries and the
// histogram plot script.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace acc::data::detail {

// {"count", "mean", "min", "p50", "p90", "p95", "p99", "max"} of lengths
// (nearest-rank percentiles; all 0 for an empty list).
nlohmann::json length_summary(std::vector<uint64_t> lengths);

// {"256": n, "512": n, ...}: how many pairs have a source or target longer
// than each length (what truncation at that max_len would cut).
nlohmann::json over_length_counts(const std::vector<uint64_t>& source_lengths,
                                  const std::vector<uint64_t>& target_lengths, std::vector<uint64_t> thresholds);

// Runs scripts/plot_token_histogram.py REPORT PNG with Debian's python3.
// Returns an empty string on success, otherwise why the plot was skipped.
// The script directory is $ACCOMPANIST_SCRIPTS_DIR or the source tree's
// scripts/; the interpreter $ACCOMPANIST_PYTHON, /usr/bin/python3 or python3
// on PATH.
std::string run_histogram_plot(const std::string& report_path, const std::string& png_path);

}  // namespace acc::data::detail
