// Levenshtein distances of bar rhythm strings (thesis 4.3.1, Table 2).
//
// A bar's rhythm string has 32 characters '0'/'1'; we store it as a 32-bit
// mask (bit p = character p, see rhythm.h). The distance of two such strings
// is computed bit-parallel (Myers 1999 in Hyyrö's 2001 formulation for the
// global edit distance): one 32-bit word holds a whole column of the dynamic
// programme, so a distance costs 32 iterations of a dozen word operations and
// 10 million random pairs take well under a second per core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace acc::eval {

// Plain dynamic-programming Levenshtein distance (unit insert, delete and
// substitute costs) of two strings; the reference the fast one is tested
// against.
int levenshtein(std::string_view a, std::string_view b);

// Levenshtein distance of the 32-character rhythm strings of two bar masks.
int rhythm_distance(uint32_t a, uint32_t b);

// out[i] = rhythm_distance(a[i], b[i]) for i < n, eight pairs at a time in
// the lanes of a vector (GCC/Clang vector extensions: SSE2/AVX2/NEON as the
// target allows), several times the throughput of the one-pair form.
void rhythm_distances(const uint32_t* a, const uint32_t* b, size_t n, int* out);

struct PairDistanceOptions {
  uint64_t pairs = 10'000'000;
  uint64_t seed = 0;
  int threads = 0;  // 0 = all cores
  // When a and b are the same set: never pair an element with itself.
  bool distinct = false;
};

struct PairDistanceResult {
  double mean = 0.0;
  uint64_t pairs = 0;         // pairs drawn (0 when a set was empty)
  uint64_t distance_sum = 0;  // exact integer sum, so the mean is deterministic
};

// Mean distance of `pairs` random pairs (a[i], b[j]), i and j uniform and
// independent. The pairs are drawn in fixed blocks, each from its own
// generator seeded by (seed, block), and the integer distances are summed, so
// the result depends only on the inputs and the seed, never on the thread
// count. With distinct, a and b must be the same set (same length) and i != j.
PairDistanceResult mean_random_pair_distance(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                                             const PairDistanceOptions& options);

}  // namespace acc::eval
