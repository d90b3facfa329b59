// The evaluation's own small random generator: xoshiro256** seeded through
// splitmix64 (util/splitmix64.h), with bounded draws by 128-bit multiplication. Unlike
// std::uniform_int_distribution its output is the same on every platform and
// standard library, so seeded reports are reproducible everywhere.
#pragma once

#include <cstdint>

#include "accompanist/util/splitmix64.h"

namespace acc::eval::detail {

class Rng {
 public:
  // A stream for (seed, stream): different streams are independent.
  explicit Rng(uint64_t seed, uint64_t stream = 0) {
    uint64_t state = seed ^ (0xD1B54A32D192ED03ull * (stream + 1));
    for (uint64_t& word : s_) word = util::splitmix64_next(state);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is below
  // n / 2^64, far under anything a report could show).
  uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace acc::eval::detail
