#include "accompanist/dist/communicator_factory.h"

#include "accompanist/dist/device.h"
#include "accompanist/dist/mpi_environment.h"
#include "mpi_communicator.h"

namespace acc::dist {

BackendEnvironment detect_backend_environment() {
  BackendEnvironment env;
  env.launched_by_mpi = launched_by_mpi_launcher();
  env.cuda_available = cuda_device_count() > 0;
#ifdef ACC_WITH_NCCL
  env.nccl_built = true;
#endif
  return env;
}

std::string resolve_backend(const std::string& requested, const BackendEnvironment& env) {
  if (requested == "none" || requested == "mpi") return requested;
  if (requested == "nccl") {
    ACC_CHECK(env.nccl_built, "dist.backend", "nccl: this build has no NCCL (configure with CUDA and NCCL)");
    ACC_CHECK(env.cuda_available, "dist.backend", "nccl: no CUDA device is visible");
    return requested;
  }
  ACC_CHECK(requested == "auto", "dist.backend", "expected auto, mpi, nccl or none, got \"" + requested + "\"");
  if (!env.launched_by_mpi) return "none";
  return env.nccl_built && env.cuda_available ? "nccl" : "mpi";
}

std::unique_ptr<Communicator> make_mpi_communicator(const DistConfig& cfg) {
  return std::make_unique<MpiCommunicator>(MpiEnvironment::acquire(), cfg.mpi_async, cfg.timeout_s);
}

std::unique_ptr<Communicator> make_communicator(const DistConfig& cfg) {
  const std::string backend = resolve_backend(cfg.backend, detect_backend_environment());
  if (backend == "none") return make_single_process_communicator();
  if (backend == "mpi") return make_mpi_communicator(cfg);
  return make_nccl_communicator(cfg);
}

}  // namespace acc::dist
