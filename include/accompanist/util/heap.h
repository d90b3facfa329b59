// The C heap's policy for tensor-sized blocks.
#pragma once

#include <cstddef>
#include <string>

namespace acc::util {

struct HeapPolicy {
  bool applied = false;            // false: not glibc, or mallopt refused
  std::size_t mmap_threshold = 0;  // blocks from this size up are mmapped (and unmapped when freed)
  std::size_t trim_threshold = 0;  // free memory at the heap's top kept up to this size
  std::string describe() const;    // "glibc heap: ..." for logs and benchmark lines
};

// LibTorch allocates CPU tensors with malloc. glibc serves blocks above its
// mmap threshold (128 KiB, raised dynamically up to 32 MiB) from fresh
// mmaps and unmaps them when freed, so every step's attention scores,
// activations and gradients fault in their pages anew: measured at a third of
// a bf16 cpu_small step (docs/training.md, "Speed"). Called once at program start,
// before any tensor, this keeps freed blocks up to 1 GiB in the heap for
// reuse, as PyTorch's GPU caching allocator does: a process's resident memory
// then stays at its peak instead of shrinking between steps.
// ACCOMPANIST_HEAP=default leaves glibc's policy (for measuring the difference).
HeapPolicy keep_freed_tensor_memory();

}  // namespace acc::util
