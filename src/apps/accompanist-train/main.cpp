// accompanist-train: the MPI data-parallel trainer (SPEC sections 6 and 9).
//   accompanist-train --config FILE.yaml [--set key=value]... --run-dir DIR [--resume auto|CHECKPOINT]
// Launch with mpirun/srun for several ranks; without a launcher it runs as one
// process and never initialises MPI (dist.backend: auto -> none).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/mpi_environment.h"
#include "accompanist/train/stop_signal.h"
#include "accompanist/train/train_config.h"
#include "accompanist/train/trainer.h"
#include "accompanist/util/heap.h"
#include "accompanist/util/log.h"
#include "accompanist/util/version.h"
#include "parse_command_line.h"

int main(int argc, char** argv) {
  // First: SLURM may send SIGUSR1/SIGTERM as soon as the job starts (its
  // --signal timing is up to 60 s early), and an unhandled one would end the
  // rank without a checkpoint. The training loop checks the flag every step.
  acc::train::install_stop_handlers();
  // Before any tensor: freed tensor memory stays in the heap (util/heap.h).
  acc::util::keep_freed_tensor_memory();
  CLI::App app{"accompanist-train: data-parallel training of the accompaniment model", "accompanist-train"};
  std::string config_path;
  acc::train::RunOptions run;
  std::vector<std::string> overrides;
  app.add_option("--config", config_path, "training config (YAML)")->required();
  app.add_option("--set", overrides, "override a config key: --set train.lr=3e-4 (repeatable)");
  app.add_option("--run-dir", run.run_dir, "run directory (config, metrics, checkpoints, samples)")->required();
  app.add_option("--resume", run.resume,
                 "auto: continue from the newest complete checkpoint (or start); or a checkpoint dir");
  app.set_version_flag("--version",
                       std::string("accompanist-train ") + acc::version() + " (" + acc::git_revision() + ")");
  if (auto status = acc::apps::parse_command_line(app, argc, argv)) return *status;

  run.argv.assign(argv, argv + argc);
  run.config_file = config_path;
  run.overrides = overrides;
  return acc::dist::guarded_main([&] {
    // Every rank reads and checks the config itself: a bad key fails on all
    // ranks alike, before any collective.
    const acc::train::TrainConfig config = acc::train::load_train_config(config_path, overrides);
    auto comm = acc::dist::make_communicator(config.dist);
    acc::util::init_logging(comm->rank(), comm->size());
    if (comm->rank() == 0)
      spdlog::info("accompanist-train {} ({}): {} rank(s), backend {}", acc::version(), acc::git_revision(),
                   comm->size(), comm->backend_name());
    spdlog::debug("rank {}/{}, local rank {}/{}", comm->rank(), comm->size(), comm->local_rank(), comm->local_size());
    return acc::train::train(config, run, *comm);
  });
}
