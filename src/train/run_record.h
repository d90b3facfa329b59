// run.json in the run directory: how the run was started (command line,
// config file, --set overrides, ranks, revision), so that sweeps can be
// summarised (scripts/summarize_runs.py) and a run repeated. Each resume
// replaces the top-level record and keeps the earlier ones under "history".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acc::train {

struct RunRecord {
  std::vector<std::string> argv;
  std::string config_file;
  std::vector<std::string> overrides;
  int ranks = 1;
  int threads_per_rank = 1;
  int64_t parameters = 0;
  std::string resumed_from;      // checkpoint directory, or "" for a fresh start
  std::string precision;         // resolved train.precision: fp32 or bf16
  std::string precision_reason;  // the device and CPU features the choice was made on
  // train.init_from when it applied (a fresh start): the checkpoint, its step
  // and the sha256 of the parameters the run started with (before any step).
  std::string init_from;
  int64_t init_from_step = 0;
  std::string init_parameters_sha256;
};

// Writes RUN_DIR/run.json atomically (rank 0 only), adding the revision, host
// and start time, and keeping an existing file's records as history.
void write_run_record(const std::string& run_dir, const RunRecord& record);

}  // namespace acc::train
