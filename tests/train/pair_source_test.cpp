// Training pair sources: the mix of a corpus with replayed pairs of another
// (data.replay), checked against a plain reading of its definition.
#include <gtest/gtest.h>

#include <set>

#include "accompanist/train/pair_source.h"
#include "accompanist/util/error.h"

namespace acc::train {
namespace {

std::vector<int64_t> first_tokens(const PairSource& p) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < p.size(); ++i) out.push_back(p.get(i).source.at(0));
  return out;
}

TEST(ReplayCount, IsTheFractionOfTheMixAndAtMostWhatIsThere) {
  EXPECT_EQ(replay_count(60, 0.5, 1000), 60u);
  EXPECT_EQ(replay_count(60, 0.25, 1000), 20u);  // 20 / (60 + 20)
  EXPECT_EQ(replay_count(60, 0.75, 1000), 180u);
  EXPECT_EQ(replay_count(60, 0.5, 10), 10u);
  EXPECT_EQ(replay_count(60, 0.0, 1000), 0u);
}

TEST(MixedPairs, AllOfTheMainThenASeededChoiceOfTheOtherWithoutRepeats) {
  const auto main_only = first_tokens(*synthetic_pairs(30, 5, 100, 1));
  const auto extra_all = first_tokens(*synthetic_pairs(50, 7, 100, 2));
  auto mix = mixed_pairs(synthetic_pairs(30, 5, 100, 1), synthetic_pairs(50, 7, 100, 2), 20, 9);
  ASSERT_EQ(mix->size(), 50u);
  const auto got = first_tokens(*mix);
  for (size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(got[i], main_only[i]) << i;
    EXPECT_EQ(mix->cost(i), 10u);
  }
  std::multiset<int64_t> pool(extra_all.begin(), extra_all.end());
  for (size_t i = 30; i < 50; ++i) {
    EXPECT_EQ(mix->cost(i), 14u);
    EXPECT_EQ(mix->source_length(i), 7u);
    EXPECT_EQ(mix->target_length(i), 7u);
    auto it = pool.find(got[i]);
    ASSERT_NE(it, pool.end()) << "replayed example " << i << " is not one of the other source's";
    pool.erase(it);  // each at most once
  }
  // The same seed chooses the same pairs; another seed others.
  auto again = mixed_pairs(synthetic_pairs(30, 5, 100, 1), synthetic_pairs(50, 7, 100, 2), 20, 9);
  EXPECT_EQ(first_tokens(*again), got);
  auto other = mixed_pairs(synthetic_pairs(30, 5, 100, 1), synthetic_pairs(50, 7, 100, 2), 20, 10);
  EXPECT_NE(first_tokens(*other), got);
}

TEST(MixedPairs, RefusesMorePairsThanTheOtherSourceHas) {
  EXPECT_THROW(mixed_pairs(synthetic_pairs(3, 5, 100, 1), synthetic_pairs(4, 5, 100, 2), 5, 1), Error);
}

}  // namespace
}  // namespace acc::train
