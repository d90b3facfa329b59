// The CUDA device facts the dist layer needs; compiled with or without CUDA
// (the only other place besides src/dist where CUDA may appear).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acc::dist {

bool cuda_built();                    // this build has the CUDA path
int cuda_device_count();              // 0 without CUDA or without a usable GPU
void select_cuda_device(int device);  // cudaSetDevice; acc::Error on failure
// "<host>/<PCI bus id>" of a CUDA device: names the physical GPU, whatever
// CUDA_VISIBLE_DEVICES makes its index. acc::Error without CUDA.
std::string cuda_device_identity(int device);

// Where a rank computes. The communicator decides: NCCL reduces CUDA buffers,
// MPI host buffers (so a rank of an MPI job computes on the CPU even when it
// sees GPUs), and one process ("none") reduces nothing, so it takes a GPU
// when it sees one.
struct DeviceChoice {
  bool cuda = false;
  int index = 0;  // CUDA device index when cuda
  std::string str() const { return cuda ? "cuda:" + std::to_string(index) : "cpu"; }
  bool operator==(const DeviceChoice& o) const { return cuda == o.cuda && index == o.index; }
};

// backend: a resolved backend name ("none", "mpi", "nccl"); visible_devices:
// cuda_device_count(). A pure function; acc::Error for nccl without a device
// or an unknown backend.
DeviceChoice choose_device(const std::string& backend, int visible_devices, int local_rank);

// Two ranks that would share one physical GPU (NCCL refuses it, deep inside
// ncclCommInitRank): identities[r] is rank r's cuda_device_identity(). The
// first such pair of ranks, or nothing.
std::optional<std::pair<int, int>> find_shared_device(const std::vector<std::string>& identities);

}  // namespace acc::dist
