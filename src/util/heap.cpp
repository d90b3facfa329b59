#include "accompanist/util/heap.h"

#include "accompanist/util/env.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace acc::util {

std::string HeapPolicy::describe() const {
  if (!applied) return "default heap";
  return "glibc heap: mmap threshold " + std::to_string(mmap_threshold >> 20) + " MiB, trim threshold " +
         std::to_string(trim_threshold >> 20) + " MiB";
}

HeapPolicy keep_freed_tensor_memory() {
  HeapPolicy p;
  if (env_value("ACCOMPANIST_HEAP").value_or("tuned") == "default") return p;  // the ablation's baseline
#if defined(__GLIBC__)
  constexpr std::size_t kThreshold = std::size_t(1) << 30;
  // Setting either disables glibc's dynamic threshold; both are needed: the
  // first keeps large blocks out of mmap, the second keeps freed ones mapped.
  p.applied = mallopt(M_MMAP_THRESHOLD, int(kThreshold)) == 1 && mallopt(M_TRIM_THRESHOLD, int(kThreshold)) == 1 &&
              mallopt(M_TOP_PAD, 64 << 20) == 1;
  if (p.applied) p.mmap_threshold = p.trim_threshold = kThreshold;
#endif
  return p;
}

}  // namespace acc::util
