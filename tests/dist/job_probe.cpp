// A tiny MPI job for the failure tests (failure_test.cpp runs it under mpirun):
//   job_probe ok         every rank prints "probe ok rank R/W" and exits 0
//   job_probe mismatch   ranks disagree on a config hash: all must fail cleanly
//   job_probe die        rank 1 throws while rank 0 waits in a collective: the
//                        job must be aborted, not hang
//   job_probe stall      rank 1 stalls (alive, silent) while rank 0 waits in a
//                        collective: dist.timeout_s (2 s) must abort the job
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/mpi_environment.h"

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "ok";
  return acc::dist::guarded_main([&] {
    acc::dist::DistConfig cfg;
    cfg.backend = "mpi";
    cfg.timeout_s = mode == "stall" ? 2 : 120;
    auto comm = acc::dist::make_communicator(cfg);
    if (mode == "mismatch") {
      acc::dist::check_same_on_all_ranks(*comm, "config hash", comm->rank() == 0 ? "1111aaaa" : "2222bbbb");
    } else if (mode == "die") {
      if (comm->rank() == 1) throw acc::Error("probe", "rank 1 failed on purpose");
      comm->barrier();  // never completes: rank 1 is gone
    } else if (mode == "stall") {
      if (comm->rank() == 1) std::this_thread::sleep_for(std::chrono::seconds(60));
      comm->barrier();
    } else if (mode != "ok") {
      throw acc::Error("job_probe", "unknown mode " + mode);
    }
    std::printf("probe ok rank %d/%d\n", comm->rank(), comm->size());
    return 0;
  });
}
