// Picks and creates the communicator named by dist.backend.
#pragma once

#include <memory>
#include <string>

#include "accompanist/dist/communicator.h"
#include "accompanist/dist/dist_config.h"

namespace acc::dist {

struct BackendEnvironment {
  bool launched_by_mpi = false;  // launched_by_mpi_launcher()
  bool cuda_available = false;   // a CUDA build that sees at least one GPU
  bool nccl_built = false;       // the NCCL backend is compiled in
};

BackendEnvironment detect_backend_environment();

// "auto" resolved against env: nccl when launched by MPI on a CUDA machine
// with NCCL, mpi when launched by MPI, else none. An explicit nccl in a build
// without NCCL, or without a GPU, is an acc::Error.
std::string resolve_backend(const std::string& requested, const BackendEnvironment& env);

// Creates the communicator. "none" never touches MPI. "nccl" also selects the
// CUDA device local_rank % device count.
std::unique_ptr<Communicator> make_communicator(const DistConfig& cfg);

// The backends, for tests and benchmarks that want one explicitly.
std::unique_ptr<Communicator> make_single_process_communicator();
std::unique_ptr<Communicator> make_mpi_communicator(const DistConfig& cfg);
std::unique_ptr<Communicator> make_nccl_communicator(const DistConfig& cfg);  // throws without NCCL

}  // namespace acc::dist
