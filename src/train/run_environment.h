// Per-rank process settings: torch/BLAS threads, the device, bf16 autocast.
#pragma once

#include <torch/types.h>

#include "accompanist/model/precision.h"

#include <string>

namespace acc::dist {
class Communicator;
}

namespace acc::train {

// threads == 0: cores / ranks on this node. The device is
// dist::choose_device(backend, visible GPUs, local rank): a GPU for nccl and
// for one process (none) when one is visible, the CPU for mpi.
torch::Device configure_threads_and_device(int threads, const dist::Communicator& comm);

// bf16 autocast (model/precision.h): on a GPU, and on a CPU with native bf16.
using model::AutocastScope;

}  // namespace acc::train
