// The `dist:` section of the training config.
#pragma once

#include <string>

#include "accompanist/util/config.h"

namespace acc::dist {

struct DistConfig {
  // auto: nccl in a CUDA build with a GPU and several ranks, mpi when launched
  // by mpirun/srun, else none (no MPI at run time).
  std::string backend = "auto";
  // Gradient buckets (PyTorch DDP's defaults): the first one small so the
  // first all-reduce starts early in the backward pass.
  double bucket_cap_mb = 25.0;
  double first_bucket_mb = 1.0;
  // How the MPI backend progresses non-blocking all-reduces: "thread" (a
  // communication thread runs them; needs MPI_THREAD_MULTIPLE) or "nonblocking"
  // (MPI_Iallreduce, progressed inside MPI calls from the caller's thread).
  std::string mpi_async = "thread";
  // A collective that has not completed after this many seconds throws (the
  // job then aborts instead of hanging). 0 = wait forever.
  double timeout_s = 1800.0;

  void visit(acc::util::ConfigVisitor& v) {
    v.field("backend", backend, {"auto", "mpi", "nccl", "none"});
    v.field("bucket_cap_mb", bucket_cap_mb, 0.001, 4096.0);
    v.field("first_bucket_mb", first_bucket_mb, 0.001, 4096.0);
    v.field("mpi_async", mpi_async, {"thread", "nonblocking"});
    v.field("timeout_s", timeout_s, 0.0, 7.0 * 24 * 3600);
  }
};

}  // namespace acc::dist
