// util::keep_freed_tensor_memory: on glibc the policy is applied and a freed
// large block is reused instead of faulting in fresh pages.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

#include "accompanist/util/heap.h"

namespace acc::util {
namespace {

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

TEST(Heap, FreedBlocksAreReusedWithoutPageFaults) {
  const HeapPolicy p = keep_freed_tensor_memory();
#if defined(__GLIBC__)
  ASSERT_TRUE(p.applied);
  EXPECT_EQ(p.mmap_threshold, std::size_t(1) << 30);
  EXPECT_NE(p.describe().find("mmap threshold 1024 MiB"), std::string::npos) << p.describe();
  // 64 MiB, above glibc's default mmap threshold even after it adapts (32 MiB).
  constexpr std::size_t kBytes = std::size_t(64) << 20;
  for (int round = 0; round < 2; ++round) {  // the first round may grow the heap
    char* a = static_cast<char*>(std::malloc(kBytes));
    ASSERT_NE(a, nullptr);
    std::memset(a, 1, kBytes);
    std::free(a);
  }
  const long before = minor_faults();
  char* b = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(b, nullptr);
  std::memset(b, 2, kBytes);
  std::free(b);
  // Fresh pages would be 16,384 faults; reused ones none (a few for other work).
  EXPECT_LT(minor_faults() - before, 1000);
#else
  EXPECT_FALSE(p.applied);
  EXPECT_EQ(p.describe(), "default heap");
#endif
}

}  // namespace
}  // namespace acc::util
