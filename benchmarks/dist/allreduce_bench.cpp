// All-reduce bandwidth of acc::dist's MPI communicator against MPI_Allreduce
// called directly in the same program, 1 KiB .. 64 MiB of floats.
//   mpirun -n 2 build/bin/bench_dist_allreduce [--max-mib 64] [--seconds 0.3] [--timeout 1800]
// One JSON line per (size, mode) on rank 0's stdout; "ratio" = communicator
// time / direct time (1.0 = no overhead), "ratio_async" likewise for
// allreduce_async()->wait() (the bucketer's path). Each figure is the best
// of 3 interleaved rounds of ~seconds/3 each.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/mpi_environment.h"
#include "common/bench_machine.h"

namespace {

using Clock = std::chrono::steady_clock;

// Seconds per call of fn: calibrated to about `budget` seconds, the same
// iteration count on every rank, the slowest rank's time.
double time_per_call(acc::dist::Communicator& comm, double budget, const std::function<void()>& fn) {
  fn();  // warm-up
  comm.barrier();
  auto t0 = Clock::now();
  fn();
  const double one = std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t iters = std::clamp<int64_t>(static_cast<int64_t>(budget / std::max(one, 1e-7)), 3, 20000);
  iters = comm.allreduce_host(iters, acc::dist::ReduceOp::min);
  comm.barrier();
  t0 = Clock::now();
  for (int64_t i = 0; i < iters; ++i) fn();
  const double per = std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(iters);
  return comm.allreduce_host(per, acc::dist::ReduceOp::max);
}

}  // namespace

int main(int argc, char** argv) {
  double max_mib = 64, budget = 0.3, timeout = 1800;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--max-mib") == 0) max_mib = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) budget = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--timeout") == 0) timeout = std::atof(argv[i + 1]);  // 0: no watchdog
  }
  return acc::dist::guarded_main([&] {
    auto env = acc::dist::MpiEnvironment::acquire();
    // A control: MPI_Allreduce on a duplicate of MPI_COMM_WORLD, as the communicator uses.
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    for (const char* mode : {"thread", "nonblocking"}) {
      acc::dist::DistConfig cfg;
      cfg.mpi_async = mode;
      cfg.timeout_s = timeout;
      auto comm = acc::dist::make_mpi_communicator(cfg);
      for (size_t bytes = 1024; bytes <= static_cast<size_t>(max_mib * 1024 * 1024); bytes *= 4) {
        const size_t n = bytes / sizeof(float);
        std::vector<float> buf(n, 1.0f);
        // Sums of ones grow; reset now and then so values stay finite and normal.
        auto direct_fn = [&] {
          MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
          if (buf[0] > 1e30f) std::fill(buf.begin(), buf.end(), 1.0f);
        };
        auto dup_fn = [&] {
          MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, dup);
          if (buf[0] > 1e30f) std::fill(buf.begin(), buf.end(), 1.0f);
        };
        auto blocking_fn = [&] {
          comm->allreduce(buf.data(), n, acc::dist::ReduceOp::sum);
          if (buf[0] > 1e30f) std::fill(buf.begin(), buf.end(), 1.0f);
        };
        auto async_fn = [&] {
          comm->allreduce_async(buf.data(), n, acc::dist::ReduceOp::sum)->wait();
          if (buf[0] > 1e30f) std::fill(buf.begin(), buf.end(), 1.0f);
        };
        // Interleaved rounds, best of each: robust to other load on the machine.
        double direct = 1e30, direct_dup = 1e30, blocking = 1e30, async = 1e30;
        for (int round = 0; round < 3; ++round) {
          direct = std::min(direct, time_per_call(*comm, budget / 3, direct_fn));
          direct_dup = std::min(direct_dup, time_per_call(*comm, budget / 3, dup_fn));
          blocking = std::min(blocking, time_per_call(*comm, budget / 3, blocking_fn));
          async = std::min(async, time_per_call(*comm, budget / 3, async_fn));
        }
        if (comm->rank() == 0) {
          auto line = acc::bench::machine_fields();
          line["benchmark"] = "dist.allreduce";
          line["ranks"] = comm->size();
          line["mode"] = mode;
          line["watchdog"] = timeout > 0;
          line["bytes"] = bytes;
          line["direct_us"] = direct * 1e6;
          line["direct_dup_us"] = direct_dup * 1e6;
          line["comm_us"] = blocking * 1e6;
          line["async_us"] = async * 1e6;
          line["ratio"] = blocking / direct;
          line["ratio_async"] = async / direct;
          // Bus bandwidth as nccl-tests define it: bytes * 2 (n-1)/n per second.
          line["busbw_GBps"] = static_cast<double>(bytes) * 2.0 * (comm->size() - 1) / comm->size() / direct / 1e9;
          std::printf("%s\n", line.dump().c_str());
          std::fflush(stdout);
        }
      }
    }
    MPI_Comm_free(&dup);
    return 0;
  });
}
