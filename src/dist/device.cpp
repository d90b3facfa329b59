#include "accompanist/dist/device.h"

#include <unistd.h>

#include <map>
#include <string>

#include "accompanist/util/error.h"

#ifdef ACC_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace acc::dist {

bool cuda_built() {
#ifdef ACC_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef ACC_WITH_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

void select_cuda_device(int device) {
#ifdef ACC_WITH_CUDA
  const cudaError_t rc = cudaSetDevice(device);
  ACC_CHECK(rc == cudaSuccess, "cudaSetDevice(" + std::to_string(device) + ")", cudaGetErrorString(rc));
#else
  throw acc::Error("cudaSetDevice(" + std::to_string(device) + ")", "this build has no CUDA");
#endif
}

std::string cuda_device_identity(int device) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
#ifdef ACC_WITH_CUDA
  char bus[64] = {0};
  const cudaError_t rc = cudaDeviceGetPCIBusId(bus, int(sizeof(bus)), device);
  ACC_CHECK(rc == cudaSuccess, "cudaDeviceGetPCIBusId(" + std::to_string(device) + ")", cudaGetErrorString(rc));
  return std::string(host) + "/" + bus;
#else
  throw acc::Error("cuda device " + std::to_string(device), "this build has no CUDA");
#endif
}

DeviceChoice choose_device(const std::string& backend, int visible_devices, int local_rank) {
  if (backend == "mpi") return {};
  if (backend == "none") return visible_devices > 0 ? DeviceChoice{true, 0} : DeviceChoice{};
  ACC_CHECK(backend == "nccl", "dist.backend", "expected none, mpi or nccl, got \"" + backend + "\"");
  ACC_CHECK(visible_devices > 0, "dist.backend", "nccl: no CUDA device is visible");
  ACC_CHECK(local_rank >= 0, "dist.backend", "nccl: negative local rank " + std::to_string(local_rank));
  return {true, local_rank % visible_devices};
}

std::optional<std::pair<int, int>> find_shared_device(const std::vector<std::string>& identities) {
  std::map<std::string, int> first;
  for (int r = 0; r < int(identities.size()); ++r) {
    auto [it, inserted] = first.emplace(identities[r], r);
    if (!inserted) return std::make_pair(it->second, r);
  }
  return std::nullopt;
}

}  // namespace acc::dist
