// The data-parallel training loop (SPEC section 6). One call per process;
// every rank runs the same sequence of named steps:
//   open data -> build or restore model and optimizer -> broadcast from rank 0
//   -> loop { next batch, forward/backward with bucketed all-reduce, clip,
//             optimizer step, log, validate, checkpoint, sample, stop check }
#pragma once

#include <string>
#include <vector>

#include "accompanist/train/train_config.h"

namespace acc::dist {
class Communicator;
}

namespace acc::train {

struct RunOptions {
  std::string run_dir;
  std::string resume;  // "": fresh run; "auto": newest complete checkpoint if any; else a checkpoint directory
  // How the run was started, recorded in RUN_DIR/run.json.
  std::vector<std::string> argv;
  std::string config_file;
  std::vector<std::string> overrides;
};

// Returns the exit code: 0 when max_steps is reached or after a clean
// SIGTERM/SIGUSR1 save. Errors are thrown as acc::Error.
int train(const TrainConfig& config, const RunOptions& run, dist::Communicator& comm);

}  // namespace acc::train
