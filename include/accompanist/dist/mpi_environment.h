// MPI's lifetime in the process, and the top-of-main guard for MPI jobs.
#pragma once

#include <functional>
#include <memory>

namespace acc::dist {

// MPI_Init_thread on construction (MPI_THREAD_MULTIPLE requested: the MPI
// backend's communication thread needs it), MPI_Finalize when the last
// reference goes. MPI can be initialised once per process, so it is shared:
// every communicator holds a reference. Not finalised while an exception is
// unwinding with several ranks (MPI_Finalize would wait for ranks that may be
// stuck in a collective): guarded_main() aborts instead.
class MpiEnvironment {
 public:
  // The process's environment, initialising MPI on first use. Throws
  // acc::Error when MPI was already finalised in this process.
  static std::shared_ptr<MpiEnvironment> acquire();
  // True between MPI_Init and MPI_Finalize (whoever called them).
  static bool active();

  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  bool thread_multiple() const { return thread_multiple_; }

 private:
  MpiEnvironment();
  bool initialised_here_ = false;
  bool thread_multiple_ = false;
};

// True when this process was started by a parallel launcher (mpirun/mpiexec
// of OpenMPI or MPICH, srun with PMI/PMIx, or srun with several tasks).
bool launched_by_mpi_launcher();

// Runs body and returns its exit code. An exception prints one line
// "error: <message>" on stderr and gives exit code 1. When MPI is active with
// several ranks, an ordinary exception ends the whole job with MPI_Abort (the
// other ranks may be waiting in a collective); a CollectiveError (all ranks
// failed together) finalises MPI and returns 1 on every rank.
int guarded_main(const std::function<int()>& body);

}  // namespace acc::dist
