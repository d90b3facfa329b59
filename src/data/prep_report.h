// The prep report (private to src/data): what assembling the corpus counted,
// prep_report.json built from it, and the histogram plot script.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "accompanist/data/prep.h"
#include "accompanist/data/snippets.h"
#include "accompanist/tokenizer/statistics.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::data::detail {

// The skip reason of a file the MIDI reader refused (the report counts the
// files read as those found minus these).
inline constexpr const char* kUnreadable = "unreadable";

// REMI and BPE lengths of the pairs of one split, one entry per pair.
struct SplitLengths {
  std::vector<uint64_t> remi_source, remi_target, bpe_source, bpe_target;
};

// What assembling the corpus counted for the report beyond PrepSummary.
struct CorpusTally {
  explicit CorpusTally(const tokenizer::Bpe& bpe) : source_stats(bpe), target_stats(bpe) {}

  std::map<std::string, std::vector<nlohmann::json>> skipped_examples;  // reason -> the first files (or messages)
  WindowStats windows;
  uint64_t dropped_max_len = 0;
  std::array<SplitLengths, 3> lengths;                    // train, valid, test
  tokenizer::TokenStatistics source_stats, target_stats;  // over every pair in the corpus
};

// Seconds of the steps after reading (PrepSummary holds the reading and the total).
struct PrepTimes {
  double bpe_train = 0, bpe_encode = 0, write = 0;
};

// prep_report.json (SPEC section 9): the run's inputs, files, windows, splits,
// tokens, tokenizer, token histograms and times.
nlohmann::json prep_report(const PrepOptions& options, int threads, const PrepSummary& summary,
                           const CorpusTally& tally, const tokenizer::Tokenizer& tok, const PrepTimes& times);

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
