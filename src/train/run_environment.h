// Per-rank process settings: torch/BLAS threads, the device, bf16 autocast.
#pragma once

#include <torch/types.h>

#include <string>

namespace acc::dist {
class Communicator;
}

namespace acc::train {

// threads == 0: cores / ranks on this node. The device is
// dist::choose_device(backend, visible GPUs, local rank): a GPU for nccl and
// for one process (none) when one is visible, the CPU for mpi.
torch::Device configure_threads_and_device(int threads, const dist::Communicator& comm);

// bf16 autocast for the forward pass on a GPU (precision "auto" or "bf16");
// nothing on the CPU, where training is fp32.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, const std::string& precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_ = false;
};

}  // namespace acc::train
