// The skewed relative term against its definition (SPEC section 5), computed
// by explicit loops: causal and bidirectional, lengths below, at and above R.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <tuple>

#include "accompanist/model/relative.h"

namespace acc::model {
namespace {

// S[b,h,i,j] = q[b,h,i] . rel[h, j-i+R-1] when -(R-1) <= j-i <= max_ahead, else 0.
at::Tensor naive(const at::Tensor& q, const at::Tensor& rel, int64_t R, bool causal) {
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2);
  at::Tensor out = at::zeros({B, H, L, L}, q.options());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; ++i)
        for (int64_t j = 0; j < L; ++j) {
          const int64_t dist = j - i;
          if (dist < -(R - 1) || dist > (causal ? 0 : R - 1)) continue;
          out[b][h][i][j] = at::dot(q[b][h][i], rel[h][dist + R - 1]);
        }
  return out;
}

class RelativeTest : public ::testing::TestWithParam<std::tuple<int64_t, int64_t>> {};

TEST_P(RelativeTest, CausalSkewEqualsGather) {
  const auto [L, R] = GetParam();
  at::manual_seed(1);
  at::Tensor q = at::randn({2, 3, L, 4}, at::kDouble);
  at::Tensor rel = at::randn({3, R, 4}, at::kDouble);
  at::Tensor got = relative_logits_causal(q, rel);
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{2, 3, L, L}));
  at::Tensor want = naive(q, rel, R, true);
  // Above the diagonal the skew leaves other rows' values; the causal mask removes them.
  at::Tensor lower = at::ones({L, L}, at::kBool).tril();
  EXPECT_TRUE(at::allclose(got.masked_fill(lower.logical_not(), 0.0), want, 1e-12, 1e-12)) << "L=" << L << " R=" << R;
}

TEST_P(RelativeTest, BidirectionalSkewEqualsGather) {
  const auto [L, R] = GetParam();
  at::manual_seed(2);
  at::Tensor q = at::randn({2, 3, L, 4}, at::kDouble);
  at::Tensor rel = at::randn({3, 2 * R - 1, 4}, at::kDouble);
  at::Tensor got = relative_logits_bidirectional(q, rel);
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{2, 3, L, L}));
  EXPECT_TRUE(at::allclose(got, naive(q, rel, R, false), 1e-12, 1e-12)) << "L=" << L << " R=" << R;
}

TEST_P(RelativeTest, CausalRowEqualsGatherRow) {
  const auto [L, R] = GetParam();
  at::manual_seed(3);
  at::Tensor q = at::randn({2, 3, L, 4}, at::kDouble);
  at::Tensor rel = at::randn({3, R, 4}, at::kDouble);
  at::Tensor want = naive(q, rel, R, true);
  for (int64_t t = 0; t < L; ++t) {
    at::Tensor row = relative_logits_causal_row(q.narrow(2, t, 1), rel, t);  // keys t-n+1..t
    const int64_t n = std::min(t + 1, R);
    ASSERT_EQ(row.size(3), n);
    EXPECT_TRUE(at::allclose(row.squeeze(2), want.select(2, t).narrow(2, t + 1 - n, n), 1e-12, 1e-12)) << "t=" << t;
    // Keys further back than R-1 get nothing.
    if (t + 1 > n) {
      EXPECT_EQ(want.select(2, t).narrow(2, 0, t + 1 - n).abs().max().item<double>(), 0.0);
    }
  }
}

// (L, R): shorter than, equal to and longer than the table, and R = 1.
INSTANTIATE_TEST_SUITE_P(Lengths, RelativeTest,
                         ::testing::Values(std::make_tuple(1, 1), std::make_tuple(1, 4), std::make_tuple(4, 4),
                                           std::make_tuple(3, 8), std::make_tuple(7, 3), std::make_tuple(9, 1),
                                           std::make_tuple(12, 5)));

TEST(Relative, GradientsFlowThroughTheSkew) {
  at::manual_seed(4);
  at::Tensor q = at::randn({1, 2, 6, 3}, at::kDouble).requires_grad_();
  at::Tensor rel = at::randn({2, 2 * 4 - 1, 3}, at::kDouble).requires_grad_();
  at::Tensor w = at::randn({1, 2, 6, 6}, at::kDouble);
  (relative_logits_bidirectional(q, rel) * w).sum().backward();
  at::Tensor q2 = q.detach().clone().requires_grad_();
  at::Tensor rel2 = rel.detach().clone().requires_grad_();
  (naive(q2, rel2, 4, false) * w).sum().backward();
  EXPECT_TRUE(at::allclose(q.grad(), q2.grad(), 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(rel.grad(), rel2.grad(), 1e-12, 1e-12));
}

}  // namespace
}  // namespace acc::model
