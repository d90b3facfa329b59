#include "accompanist/util/blas_threads.h"

#include <dlfcn.h>

namespace acc::util {

bool set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn == nullptr) return false;
  fn(n);
  return true;
}

}  // namespace acc::util
