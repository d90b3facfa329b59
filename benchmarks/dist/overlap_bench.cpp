// How much gradient communication the bucketer hides behind the backward pass.
//   mpirun -n 2 build/bin/bench_dist_overlap [--layers 8] [--width 1024] [--batch 32] [--steps 10]
// Model: a stack of Linear+ReLU layers. Per step, same process, same data:
//   compute     forward + backward, no communication (the floor)
//   serial      forward + backward, then one blocking all-reduce of all
//               gradients (no overlap: every second of communication exposed)
//   bucketed    GradientBucketer (mpi_async = thread, then nonblocking)
// JSON lines on rank 0: step times, and for the bucketer the communication
// time, the part exposed in finish(), and
//   overlap = (serial - bucketed) / (serial - compute)   (1 = fully hidden).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/gradient_bucketer.h"
#include "accompanist/dist/mpi_environment.h"
#include "common/bench_machine.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int layers = 8, width = 1024, batch = 32, steps = 10;
};

torch::nn::Sequential make_model(const Options& o) {
  torch::manual_seed(0);
  torch::nn::Sequential seq;
  for (int i = 0; i < o.layers; ++i) {
    seq->push_back(torch::nn::Linear(o.width, o.width));
    seq->push_back(torch::nn::ReLU());
  }
  return seq;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Mean step time over o.steps (after 2 warm-up steps), slowest rank.
double run_steps(acc::dist::Communicator& comm, const Options& o, const std::function<void()>& step) {
  for (int i = 0; i < 2; ++i) step();
  comm.barrier();
  const auto t0 = Clock::now();
  for (int i = 0; i < o.steps; ++i) step();
  return comm.allreduce_host(seconds_since(t0) / o.steps, acc::dist::ReduceOp::max);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--layers") == 0) o.layers = v;
    if (std::strcmp(argv[i], "--width") == 0) o.width = v;
    if (std::strcmp(argv[i], "--batch") == 0) o.batch = v;
    if (std::strcmp(argv[i], "--steps") == 0) o.steps = v;
  }
  return acc::dist::guarded_main([&] {
    torch::set_num_threads(1);
    auto env = acc::dist::MpiEnvironment::acquire();
    acc::dist::DistConfig cfg;
    auto comm = acc::dist::make_mpi_communicator(cfg);
    auto model = make_model(o);
    torch::manual_seed(1 + comm->rank());
    const auto x = torch::randn({o.batch, o.width});  // [B, W]
    auto forward_backward = [&] {
      for (auto& p : model->parameters()) {  // as LibTorch 1.13's Optimizer::zero_grad: in place
        if (p.grad().defined()) p.mutable_grad().zero_();
      }
      model->forward(x).pow(2).mean().backward();
    };
    int64_t numel = 0;
    for (auto& p : model->parameters()) numel += p.numel();
    auto line = acc::bench::machine_fields();
    line["benchmark"] = "dist.overlap";
    line["ranks"] = comm->size();
    line["layers"] = o.layers;
    line["width"] = o.width;
    line["batch"] = o.batch;
    line["gradient_MiB"] = static_cast<double>(numel) * 4 / (1 << 20);

    const double compute = run_steps(*comm, o, forward_backward);
    torch::Tensor flat = torch::zeros({numel});  // [numel]
    const double serial = run_steps(*comm, o, [&] {
      forward_backward();
      int64_t off = 0;
      for (auto& p : model->parameters()) {
        flat.narrow(0, off, p.numel()).copy_(p.grad().reshape({-1}));
        off += p.numel();
      }
      comm->allreduce(flat.data_ptr<float>(), static_cast<size_t>(numel), acc::dist::ReduceOp::mean);
      off = 0;
      for (auto& p : model->parameters()) {
        p.mutable_grad().copy_(flat.narrow(0, off, p.numel()).view(p.sizes()));
        off += p.numel();
      }
    });
    line["compute_step_s"] = compute;
    line["serial_step_s"] = serial;
    comm.reset();

    for (const char* mode : {"thread", "nonblocking"}) {
      cfg.mpi_async = mode;
      auto bcomm = acc::dist::make_mpi_communicator(cfg);
      acc::dist::GradientBucketer bucketer(*model, *bcomm, acc::dist::BucketerOptions::from(cfg));
      const double bucketed = run_steps(*bcomm, o, [&] {
        forward_backward();
        bucketer.finish();
      });
      const auto& s = bucketer.stats();
      const double steps = static_cast<double>(s.steps);
      auto out = line;
      out["mode"] = mode;
      out["buckets"] = bucketer.bucket_count();
      out["bucketed_step_s"] = bucketed;
      out["comm_s_per_step"] = bcomm->allreduce_host(s.comm_seconds / steps, acc::dist::ReduceOp::max);
      out["exposed_s_per_step"] = bcomm->allreduce_host(s.exposed_seconds / steps, acc::dist::ReduceOp::max);
      out["copy_s_per_step"] = bcomm->allreduce_host(s.copy_seconds / steps, acc::dist::ReduceOp::max);
      out["serial_comm_s"] = serial - compute;
      out["overlap"] = serial > compute ? (serial - bucketed) / (serial - compute) : 0.0;
      out["speedup_vs_serial"] = serial / bucketed;
      if (bcomm->rank() == 0) {
        std::printf("%s\n", out.dump().c_str());
        std::fflush(stdout);
      }
    }
    return 0;
  });
}
