#include "accompanist/eval/levenshtein.h"

#include <gtest/gtest.h>

#include <random>

#include "accompanist/eval/rhythm.h"

namespace acc::eval {
namespace {

TEST(Levenshtein, KnownStrings) {
  EXPECT_EQ(levenshtein("kitten", "sitting"), 3);
  EXPECT_EQ(levenshtein("flaw", "lawn"), 2);
  EXPECT_EQ(levenshtein("", "abc"), 3);
  EXPECT_EQ(levenshtein("abc", ""), 3);
  EXPECT_EQ(levenshtein("", ""), 0);
  EXPECT_EQ(levenshtein("intention", "execution"), 5);
  EXPECT_EQ(levenshtein("1010", "0101"), 2);  // delete the first, append one
}

TEST(RhythmDistance, HandComputedBars) {
  const BarMask downbeat_and_three = parse_rhythm_string("10000000000000001000000000000000");
  const BarMask shifted = parse_rhythm_string("01000000000000000100000000000000");
  EXPECT_EQ(rhythm_distance(downbeat_and_three, downbeat_and_three), 0);
  // Insert a 0 at the front and drop one at the end.
  EXPECT_EQ(rhythm_distance(downbeat_and_three, shifted), 2);
  EXPECT_EQ(rhythm_distance(0u, ~0u), 32);
  // An empty bar is k substitutions away from a bar with k onsets.
  EXPECT_EQ(rhythm_distance(0u, downbeat_and_three), 2);
  EXPECT_EQ(rhythm_distance(0x55555555u, 0xAAAAAAAAu), 2);  // 1010... vs 0101...
}

TEST(RhythmDistance, EqualsDynamicProgrammeOnRandomBars) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    // Mix dense, sparse and structured masks.
    uint32_t a = uint32_t(rng()), b = uint32_t(rng());
    if (trial % 3 == 1) a &= uint32_t(rng()) & uint32_t(rng());
    if (trial % 5 == 2) b = a ^ (1u << (rng() % 32));
    if (trial % 7 == 3) b = (a << 1) | (a >> 31);
    ASSERT_EQ(rhythm_distance(a, b), levenshtein(rhythm_string(a), rhythm_string(b)))
        << rhythm_string(a) << " " << rhythm_string(b);
    ASSERT_EQ(rhythm_distance(a, b), rhythm_distance(b, a));
  }
}

TEST(RhythmDistance, EightLaneFormEqualsTheScalarOne) {
  std::mt19937_64 rng(9);
  for (size_t n : {0u, 1u, 7u, 8u, 9u, 16u, 1000u, 1003u}) {
    std::vector<uint32_t> a(n), b(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = uint32_t(rng());
      b[i] = i % 4 == 0 ? a[i] : i % 4 == 1 ? 0u : uint32_t(rng()) & uint32_t(rng());
    }
    std::vector<int> out(n, -1);
    rhythm_distances(a.data(), b.data(), n, out.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], rhythm_distance(a[i], b[i])) << n << " " << i;
  }
}

TEST(RandomPairs, DeterministicAndIndependentOfThreads) {
  std::mt19937 rng(3);
  std::vector<uint32_t> a(1000), b(777);
  for (auto& x : a) x = rng();
  for (auto& x : b) x = rng() & rng();
  PairDistanceOptions options;
  options.pairs = 300000;
  options.seed = 11;
  options.threads = 1;
  const PairDistanceResult one = mean_random_pair_distance(a, b, options);
  options.threads = 2;
  const PairDistanceResult two = mean_random_pair_distance(a, b, options);
  EXPECT_EQ(one.distance_sum, two.distance_sum);
  EXPECT_EQ(one.pairs, 300000u);
  options.seed = 12;
  const PairDistanceResult other = mean_random_pair_distance(a, b, options);
  EXPECT_NE(one.distance_sum, other.distance_sum);
  // The mean over random pairs approaches the mean over all pairs.
  double exact = 0.0;
  for (uint32_t x : a)
    for (uint32_t y : b) exact += rhythm_distance(x, y);
  exact /= double(a.size() * b.size());
  EXPECT_NEAR(one.mean, exact, 0.05);
}

TEST(RandomPairs, DistinctNeverPairsAnElementWithItself) {
  // Two different bars: distinct pairs always differ, so the distance is never 0.
  const std::vector<uint32_t> set = {0u, ~0u};
  PairDistanceOptions options;
  options.pairs = 1000;
  options.distinct = true;
  EXPECT_DOUBLE_EQ(mean_random_pair_distance(set, set, options).mean, 32.0);
  options.distinct = false;
  EXPECT_LT(mean_random_pair_distance(set, set, options).mean, 24.0);
}

TEST(RandomPairs, EmptySetsGiveNoPairs) {
  PairDistanceOptions options;
  EXPECT_EQ(mean_random_pair_distance({}, {1u}, options).pairs, 0u);
  options.distinct = true;
  EXPECT_EQ(mean_random_pair_distance({1u}, {1u}, options).pairs, 0u);
}

}  // namespace
}  // namespace acc::eval
