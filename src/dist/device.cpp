#include "accompanist/dist/device.h"

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

}  // namespace acc::dist
