// The one splitmix64 (util/splitmix64.h): the reference outputs of Vigna's
// splitmix64.c, and the stream and the stateless hash agreeing, since the
// dropout masks, batch plans, synthetic songs and seeded reports of every
// stored golden depend on these exact numbers.
#include "accompanist/util/splitmix64.h"

#include <gtest/gtest.h>

namespace acc::util {
namespace {

TEST(Splitmix64, ReferenceOutputsFromStateZero) {
  uint64_t state = 0;
  EXPECT_EQ(splitmix64_next(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(splitmix64_next(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(splitmix64_next(state), 0x06c45d188009454fULL);
  EXPECT_EQ(state, 3 * kSplitmix64Gamma);
}

TEST(Splitmix64, HashIsTheStreamStepAndCompileTime) {
  uint64_t state = 12345;
  const uint64_t hashed = splitmix64(12345);
  EXPECT_EQ(splitmix64_next(state), hashed);
  EXPECT_EQ(splitmix64_mix(12345 + kSplitmix64Gamma), hashed);
  static_assert(splitmix64(0) == 0xe220a8397b1dcdafULL, "usable in constant expressions");
}

}  // namespace
}  // namespace acc::util
