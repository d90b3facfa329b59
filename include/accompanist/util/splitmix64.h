// splitmix64 (Steele, Lea and Flood 2014; Vigna's reference constants), the
// one copy for every seeded stream and hash of the project: dropout masks,
// the batch plan's seeds, synthetic songs, sampling seeds and the
// evaluation's generator. Tiny, fast and the same on every platform and
// standard library (std:: distributions are not), so seeded outputs are
// reproducible everywhere. Header-only, no LibTorch.
#pragma once

#include <cstdint>

namespace acc::util {

// The increment of the splitmix64 sequence (2^64 / golden ratio, odd).
constexpr uint64_t kSplitmix64Gamma = 0x9e3779b97f4a7c15ULL;

// The output function: a bijective mix of all 64 bits.
constexpr uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stateless hash: the output for the state z (counter-based draws).
constexpr uint64_t splitmix64(uint64_t z) {
  return splitmix64_mix(z + kSplitmix64Gamma);
}

// One step of a stream: advances `state` and returns the next output.
constexpr uint64_t splitmix64_next(uint64_t& state) {
  state += kSplitmix64Gamma;
  return splitmix64_mix(state);
}

}  // namespace acc::util
