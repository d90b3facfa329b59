// The BLAS library's own thread pool, separate from LibTorch's.
#pragma once

namespace acc::util {

// Sets OpenBLAS's thread count when OpenBLAS is the linked BLAS (found at run
// time, so any BLAS or none links); returns false when there is no such
// setter. OpenBLAS's pthread pool and LibTorch's OpenMP pool otherwise compete
// for the same cores: the trainer and the benchmarks keep BLAS at 1 thread.
bool set_blas_threads(int n);

}  // namespace acc::util
