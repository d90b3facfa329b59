// run.json in the run directory: how the run was started (command line,
// config file, --set overrides, ranks, revision), so that sweeps can be
// summarised (scripts/summarize_runs.py) and a run repeated. Each resume
// replaces the top-level record and keeps the earlier ones under "history".
// It also says how the run stands ("status", "step", "max_steps"), so that a
// batch script can tell a finished run from a stopped one without parsing
// the config (launch/slurm/train.sbatch).
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
  int64_t step = 0;  // where this start begins: the resumed checkpoint's step, or 0
  int64_t max_steps = 0;
};

// running: from the start (also what a crashed or killed start leaves);
// stopped: saved and exited on a stop signal before max_steps;
// complete: max_steps done and saved.
enum class RunStatus { running, stopped, complete };

// Writes RUN_DIR/run.json atomically (rank 0 only), adding the revision, host
// and start time, and keeping an existing file's records as history.
// Its status is "running" at `record.step`.
void write_run_record(const std::string& run_dir, const RunRecord& record);

// Updates run.json's "status", "step" (the newest checkpoint's) and
// "max_steps" atomically, keeping the rest (rank 0 only).
void write_run_status(const std::string& run_dir, RunStatus status, int64_t step, int64_t max_steps);

}  // namespace acc::train
