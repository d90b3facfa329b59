#include "accompanist/train/batch_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace acc::train {
namespace {

std::vector<uint32_t> lengths(size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint32_t((i * 37) % 101 + 1);
  return v;
}

TEST(BatchPlan, EpochIsAPermutationWithoutThePartialBatch) {
  for (bool grouped : {false, true}) {
    BatchPlan plan(lengths(103), 10, 7, grouped);
    ASSERT_EQ(plan.batches_per_epoch(), 10);
    std::set<uint32_t> seen;
    for (int64_t b = 0; b < plan.batches_per_epoch(); ++b)
      for (uint32_t i : plan.global_batch(0, b)) EXPECT_TRUE(seen.insert(i).second) << "repeated " << i;
    EXPECT_EQ(seen.size(), 100u);
  }
}

TEST(BatchPlan, DeterministicPerSeedAndEpoch) {
  BatchPlan a(lengths(200), 8, 42, true), b(lengths(200), 8, 42, true), c(lengths(200), 8, 43, true);
  EXPECT_EQ(a.global_batch(3, 5), b.global_batch(3, 5));
  EXPECT_NE(a.global_batch(3, 5), c.global_batch(3, 5));
  EXPECT_NE(a.global_batch(0, 0), a.global_batch(1, 0));
  // Asking out of order gives the same answer (no hidden stream state).
  auto late = a.global_batch(1, 2);
  a.global_batch(0, 0);
  EXPECT_EQ(a.global_batch(1, 2), late);
}

TEST(BatchPlan, GroupingReducesLengthSpread) {
  std::vector<uint32_t> len = lengths(1000);
  auto spread = [&](bool grouped) {
    BatchPlan plan(len, 10, 3, grouped);
    double total = 0;
    for (int64_t b = 0; b < plan.batches_per_epoch(); ++b) {
      auto batch = plan.global_batch(0, b);
      uint32_t lo = 1000, hi = 0;
      for (uint32_t i : batch) lo = std::min(lo, len[i]), hi = std::max(hi, len[i]);
      total += hi - lo;
    }
    return total;
  };
  EXPECT_LT(spread(true) * 5, spread(false));
}

TEST(BatchPlan, PositionRollsOver) {
  BatchPlan plan(lengths(30), 10, 1, false);
  DataPosition p{0, 2};
  p = plan.next(p);
  EXPECT_EQ(p.epoch, 1);
  EXPECT_EQ(p.cursor, 0);
}

TEST(BatchPlan, RankSlicesTileTheGlobalBatch) {
  std::vector<uint32_t> g(12);
  for (uint32_t i = 0; i < 12; ++i) g[i] = i;
  // 2 accumulation steps x 2 ranks x 3 examples.
  EXPECT_EQ(rank_slice(g, 0, 0, 2, 3), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(rank_slice(g, 0, 1, 2, 3), (std::vector<uint32_t>{3, 4, 5}));
  EXPECT_EQ(rank_slice(g, 1, 0, 2, 3), (std::vector<uint32_t>{6, 7, 8}));
  EXPECT_EQ(rank_slice(g, 1, 1, 2, 3), (std::vector<uint32_t>{9, 10, 11}));
  EXPECT_ANY_THROW(rank_slice(g, 2, 0, 2, 3));
}

TEST(BatchPlan, TooFewExamples) {
  EXPECT_ANY_THROW(BatchPlan(lengths(3), 4, 1, false));
}

// Token budgets (fairseq max_tokens): every batch within the budget, every
// example at most once per epoch, deterministic per (seed, epoch), far less
// padding than random batches of the same average size.
TEST(BatchPlan, TokenBudgetBatches) {
  const std::vector<uint32_t> len = lengths(1000);  // 1..101
  const int64_t budget = 600, slots = 3;
  BatchPlan plan = BatchPlan::token_budget(len, budget, slots, 5);
  ASSERT_TRUE(plan.has_token_budget());
  ASSERT_GT(plan.batches_per_epoch(), 10);
  std::set<uint32_t> seen;
  size_t examples = 0;
  int64_t real = 0, padded = 0;
  for (int64_t b = 0; b < plan.batches_per_epoch(); ++b) {
    std::vector<uint32_t> all;
    for (int64_t s = 0; s < slots; ++s) {
      auto batch = plan.slot(1, b, s);
      ASSERT_FALSE(batch.empty());
      uint32_t hi = 0;
      for (uint32_t i : batch) {
        EXPECT_TRUE(seen.insert(i).second) << "repeated " << i;
        hi = std::max(hi, len[i]);
        real += len[i];
      }
      EXPECT_LE(int64_t(batch.size()) * hi, budget);
      padded += int64_t(batch.size()) * hi;
      examples += batch.size();
      all.insert(all.end(), batch.begin(), batch.end());
    }
    EXPECT_EQ(plan.global_batch(1, b), all);  // the step's slots in order
  }
  EXPECT_GT(examples, 950u);  // only the leftover batches (< slots) are dropped
  // Sorted buckets: under 5% padding (random batches of ~10 give ~45%).
  EXPECT_LT(1.0 - double(real) / double(padded), 0.05);

  BatchPlan again = BatchPlan::token_budget(len, budget, slots, 5);
  BatchPlan other = BatchPlan::token_budget(len, budget, slots, 6);
  EXPECT_EQ(again.slot(2, 4, 1), plan.slot(2, 4, 1));
  EXPECT_NE(other.slot(2, 4, 1), plan.slot(2, 4, 1));
  EXPECT_NE(plan.global_batch(0, 0), plan.global_batch(1, 0));
  auto late = plan.slot(3, 1, 2);
  plan.slot(0, 0, 0);
  EXPECT_EQ(plan.slot(3, 1, 2), late);  // no hidden stream state (resume)
  EXPECT_ANY_THROW(plan.slot(0, 0, slots));
  EXPECT_ANY_THROW(BatchPlan::token_budget(len, 100, 1, 5));          // an example of 101 tokens does not fit
  EXPECT_ANY_THROW(BatchPlan::token_budget(lengths(3), 1000, 2, 5));  // one batch, two slots
}

TEST(RandomExamples, DistinctDeterministic) {
  auto a = random_examples(50, 20, 9, 3);
  EXPECT_EQ(a, random_examples(50, 20, 9, 3));
  EXPECT_NE(a, random_examples(50, 20, 9, 4));
  EXPECT_EQ(std::set<uint32_t>(a.begin(), a.end()).size(), 20u);
  EXPECT_EQ(random_examples(5, 20, 9, 3).size(), 5u);
}

}  // namespace
}  // namespace acc::train
