// The CUDA device facts the dist layer needs; compiled with or without CUDA
// (the only other place besides src/dist where CUDA may appear).
#pragma once

namespace acc::dist {

bool cuda_built();                    // this build has the CUDA path
int cuda_device_count();              // 0 without CUDA or without a usable GPU
void select_cuda_device(int device);  // cudaSetDevice; acc::Error on failure

}  // namespace acc::dist
