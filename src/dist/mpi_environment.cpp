#include "accompanist/dist/mpi_environment.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include "accompanist/dist/communicator.h"
#include "accompanist/util/error.h"

namespace acc::dist {
namespace {

std::mutex g_mutex;
std::weak_ptr<MpiEnvironment> g_environment;
bool g_finalised_by_us = false;

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0';
}

long env_long(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? 0 : std::strtol(v, nullptr, 10);
}

int world_size_or_1() {
  if (!MpiEnvironment::active()) return 1;
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

}  // namespace

MpiEnvironment::MpiEnvironment() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  int provided = MPI_THREAD_SINGLE;
  if (!initialised) {
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
      throw acc::Error("MPI", "MPI_Init_thread failed");
    }
    initialised_here_ = true;
  } else {
    MPI_Query_thread(&provided);
  }
  thread_multiple_ = provided >= MPI_THREAD_MULTIPLE;
}

MpiEnvironment::~MpiEnvironment() {
  if (!initialised_here_ || !active()) return;
  // Unwinding with several ranks: MPI_Finalize could wait for ranks stuck in a
  // collective; leave MPI up so guarded_main() can MPI_Abort.
  if (std::uncaught_exceptions() > 0 && world_size_or_1() > 1) return;
  MPI_Finalize();
  g_finalised_by_us = true;
}

std::shared_ptr<MpiEnvironment> MpiEnvironment::acquire() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto env = g_environment.lock()) return env;
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (finalised || g_finalised_by_us) {
    throw acc::Error("MPI", "already finalised in this process; it cannot be initialised again");
  }
  std::shared_ptr<MpiEnvironment> env(new MpiEnvironment());
  g_environment = env;
  return env;
}

bool MpiEnvironment::active() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised && !finalised;
}

bool launched_by_mpi_launcher() {
  // OpenMPI's mpirun, MPICH/Hydra, Intel MPI, srun --mpi=pmi2 / pmix.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (env_set(name)) return true;
  }
  // srun without an MPI plugin: SLURM_STEP_NUM_TASKS is set per job step
  // (SLURM_NTASKS alone is also set in the batch script, which is one process).
  return env_long("SLURM_STEP_NUM_TASKS") > 1;
}

int guarded_main(const std::function<int()>& body) {
  bool collective = false;
  std::string message;
  try {
    return body();
  } catch (const CollectiveError& e) {
    collective = true;
    message = e.what();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown exception";
  }
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::fflush(stderr);
  if (MpiEnvironment::active()) {
    if (!collective && world_size_or_1() > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
  }
  return 1;
}

}  // namespace acc::dist
