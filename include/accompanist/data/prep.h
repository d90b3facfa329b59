// The prep pipeline behind `accompanist prep` (SPEC sections 3, 4 and 9):
//   walk the input tree (sorted) -> read every MIDI file in parallel ->
//   snippets and pairs -> REMI -> split by song -> (augment the training split)
//   -> train BPE on the training split (or load bpe.tokenizer) -> BPE-encode
//   -> HDF5 corpus (atomic) + prep_report.json, prep_config.yaml,
//   tokenizer.json and a token histogram plot next to it.
// The token arrays do not depend on the number of threads: every file's work
// lands in its own slot, and the corpus is assembled in path order.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "accompanist/data/prep_config.h"

namespace acc::data {

struct PrepOptions {
  std::string input_dir;
  std::string output_path;  // the corpus; reports go to the same directory
  PrepConfig config;        // resolved and validated
  bool progress = true;     // progress display on stderr (bar on a terminal, lines otherwise)
  bool plot = true;         // run scripts/plot_token_histogram.py (skipped with a warning if unavailable)
  // Polled during the run; when it becomes true the run stops with
  // acc::Error("prep", "interrupted") and leaves no corpus behind.
  const std::atomic<bool>* cancel = nullptr;
  // Test hook: called at the points of kPrepTestPoints with the work done so
  // far, so that a test can interrupt the run at a known point instead of
  // after a guessed delay (`accompanist prep` raises a signal from it when
  // ACCOMPANIST_PREP_TEST_SIGNAL is set; tests/apps/prep_cli_test.cpp). May
  // be called from worker threads.
  std::function<void(const std::string& point, uint64_t done)> test_point;
};

// The points of PrepOptions::test_point, in run order: "read" after each file
// read (done = files read), "bpe" after each merge learnt (done = merges),
// "encode" after each file BPE-encoded (done = files), "write" when every pair
// is in the temporary corpus file, before the cancel check that precedes the
// rename (done = pairs), "committed" when the corpus has been renamed onto the
// output path, before the reports are written (done = 1).
inline constexpr const char* kPrepTestPoints[] = {"read", "bpe", "encode", "write", "committed"};

struct PrepSummary {
  uint64_t files_found = 0;
  uint64_t files_used = 0;                  // files that gave at least one pair
  std::map<std::string, uint64_t> skipped;  // reason -> files
  std::array<uint64_t, 3> songs{};          // train, valid, test
  std::array<uint64_t, 3> pairs{};
  uint64_t augmented_pairs = 0;  // of pairs[0]
  uint64_t notes = 0;            // in the pairs (before augmentation)
  uint64_t remi_tokens = 0, bpe_tokens = 0;
  size_t vocab_size = 0;
  double seconds = 0, read_seconds = 0;
  // Written next to the corpus: prep_report.json, prep_config.yaml,
  // tokenizer.json and prep_token_histogram.png (plot_path empty when skipped).
  std::string report_path, config_path, tokenizer_path, plot_path;
};

// The MIDI files under dir (.mid, .midi, .kar, .rmi, any case), as paths
// relative to dir with '/' separators, sorted bytewise. Throws when dir is not
// a readable directory.
std::vector<std::string> list_midi_files(const std::string& dir);

PrepSummary run_prep(const PrepOptions& options);

}  // namespace acc::data
