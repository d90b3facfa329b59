// The blocked relative attention (src/model/fused_relative_attention.cpp)
// against the composite path (skewed logits, mask, softmax, weights x V):
// values and gradients, causal and bidirectional, L below and above R, block
// sizes that do not divide L, padding masks, double-precision finite
// differences, bf16, dropout, and the whole model with the kernel on and off.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <tuple>

#include "accompanist/model/batch.h"
#include "accompanist/model/dropout.h"
#include "accompanist/model/fused_relative_attention.h"
#include "accompanist/model/relative.h"
#include "accompanist/model/transformer.h"
#include "model_test_util.h"

namespace acc::model {
namespace {

at::Tensor composite(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& rel,
                     const at::Tensor& mask, bool causal) {
  const int64_t L = q.size(2);
  at::Tensor s = at::matmul(q, k.transpose(2, 3)) +
                 (causal ? relative_logits_causal(q, rel) : relative_logits_bidirectional(q, rel));
  at::Tensor m = mask;
  if (causal) {
    at::Tensor future = at::ones({L, L}, q.options().dtype(at::kBool)).triu(1).view({1, 1, L, L});
    m = m.defined() ? m.logical_or(future) : future;
  }
  if (m.defined()) s = s.masked_fill(m, -std::numeric_limits<double>::infinity());
  return at::matmul(s.softmax(-1), v);
}

struct Inputs {
  at::Tensor q, k, v, rel, mask;
};

// Keys past each row's length are padding (row 0 full, row 1 short).
Inputs make_inputs(int64_t B, int64_t H, int64_t L, int64_t dk, int64_t R, bool causal, at::ScalarType dtype) {
  auto o = at::TensorOptions().dtype(dtype);
  Inputs in{at::randn({B, H, L, dk}, o).mul_(0.5).requires_grad_(), at::randn({B, H, L, dk}, o).requires_grad_(),
            at::randn({B, H, L, dk}, o).requires_grad_(),
            at::randn({H, causal ? R : 2 * R - 1, dk}, o).mul_(0.5).requires_grad_(), at::Tensor()};
  at::Tensor pad = at::zeros({B, 1, 1, L}, at::kBool);
  if (B > 1) pad[1].narrow(2, L - L / 3, L / 3).fill_(true);
  in.mask = pad;
  return in;
}

class FusedAttentionTest : public ::testing::TestWithParam<std::tuple<bool, int64_t, int64_t, int64_t>> {};

TEST_P(FusedAttentionTest, EqualsCompositeValuesAndGradientsFp32) {
  const auto [causal, L, R, block] = GetParam();
  at::manual_seed(3);
  Inputs a = make_inputs(2, 3, L, 8, R, causal, at::kFloat);
  at::Tensor w = at::randn({2, 3, L, 8});
  at::Tensor want = composite(a.q, a.k, a.v, a.rel, a.mask, causal);
  (want * w).sum().backward();
  std::vector<at::Tensor> want_grads{a.q.grad().clone(), a.k.grad().clone(), a.v.grad().clone(), a.rel.grad().clone()};
  for (auto* t : {&a.q, &a.k, &a.v, &a.rel}) t->mutable_grad() = at::Tensor();
  at::Tensor got = fused_relative_attention(a.q, a.k, a.v, a.rel, a.mask, causal, 0.0, true, block);
  (got * w).sum().backward();
  // Padded query rows attend to the unpadded keys as in the composite path.
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-5);
  const char* names[] = {"q", "k", "v", "rel"};
  std::vector<at::Tensor> got_grads{a.q.grad(), a.k.grad(), a.v.grad(), a.rel.grad()};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_LT((got_grads[i] - want_grads[i]).abs().max().item<double>(), 1e-5)
        << names[i] << " causal " << causal << " L " << L << " R " << R << " block " << block;
}

INSTANTIATE_TEST_SUITE_P(Shapes, FusedAttentionTest,
                         ::testing::Values(std::make_tuple(true, 13, 5, 4), std::make_tuple(true, 13, 20, 4),
                                           std::make_tuple(true, 16, 16, 16), std::make_tuple(true, 9, 1, 2),
                                           std::make_tuple(false, 13, 5, 4), std::make_tuple(false, 13, 20, 5),
                                           std::make_tuple(false, 16, 16, 64), std::make_tuple(false, 9, 1, 3),
                                           std::make_tuple(true, 40, 30, 7), std::make_tuple(false, 40, 30, 7)));

// Central differences in double for every input element, both modes.
TEST(FusedAttention, FiniteDifferencesInDouble) {
  for (bool causal : {true, false}) {
    at::manual_seed(5);
    Inputs a = make_inputs(2, 1, 6, 3, 4, causal, at::kDouble);
    at::Tensor w = at::randn({2, 1, 6, 3}, at::kDouble);
    auto f = [&] { return (fused_relative_attention(a.q, a.k, a.v, a.rel, a.mask, causal, 0.0, true, 4) * w).sum(); };
    f().backward();
    for (at::Tensor* t : {&a.q, &a.k, &a.v, &a.rel}) {
      at::Tensor grad = t->grad().clone();
      at::Tensor flat = t->detach().view(-1);
      double worst = 0;
      for (int64_t i = 0; i < flat.numel(); ++i) {
        torch::NoGradGuard no_grad;
        const double x = flat[i].item<double>(), h = 1e-6;
        flat[i] = x + h;
        const double up = f().item<double>();
        flat[i] = x - h;
        const double down = f().item<double>();
        flat[i] = x;
        worst = std::max(worst, std::abs((up - down) / (2 * h) - grad.view(-1)[i].item<double>()));
      }
      EXPECT_LT(worst, 1e-7) << "causal " << causal;
    }
  }
}

// bf16 products (emulated on CPUs without them): close to the fp32 composite.
TEST(FusedAttention, Bf16IsCloseToFp32) {
  at::manual_seed(7);
  for (bool causal : {true, false}) {
    Inputs a = make_inputs(2, 2, 24, 16, 10, causal, at::kFloat);
    at::Tensor want = composite(a.q, a.k, a.v, a.rel, a.mask, causal);
    at::Tensor got = fused_relative_attention(a.q.to(at::kBFloat16), a.k.to(at::kBFloat16), a.v.to(at::kBFloat16),
                                              a.rel, a.mask, causal, 0.0, true, 8);
    EXPECT_EQ(got.scalar_type(), at::kBFloat16);
    EXPECT_LT((got.to(at::kFloat) - want).abs().max().item<double>(), 5e-2);
    got.to(at::kFloat).sum().backward();
    EXPECT_EQ(a.rel.grad().scalar_type(), at::kFloat);
    EXPECT_TRUE(a.q.grad().isfinite().all().item<bool>());
  }
}

// Dropout: off in eval mode; in training the kept weights are scaled by
// 1/(1-p) and backward uses the same mask as forward (checked through v:
// d sum(out) / dv = column sums of the dropped weights, whose mean is 1 per key).
TEST(FusedAttention, DropoutMasksForwardAndBackwardAlike) {
  at::manual_seed(11);
  Inputs a = make_inputs(1, 2, 32, 8, 8, false, at::kDouble);
  a.mask = at::Tensor();
  at::Tensor eval = fused_relative_attention(a.q, a.k, a.v, a.rel, a.mask, false, 0.5, false, 8);
  at::Tensor plain = fused_relative_attention(a.q, a.k, a.v, a.rel, a.mask, false, 0.0, true, 8);
  EXPECT_TRUE(at::allclose(eval, plain));
  at::Tensor train = fused_relative_attention(a.q, a.k, a.v, a.rel, a.mask, false, 0.5, true, 8);
  EXPECT_FALSE(at::allclose(train, plain));
  // out = Pd v is linear in v: sum(out * (v-direction)) from the gradient equals the forward value.
  train.sum().backward();
  const double via_grad = (a.v.grad() * a.v).sum().item<double>();
  EXPECT_NEAR(via_grad, train.sum().item<double>(), 1e-9);
  EXPECT_NEAR(a.v.grad().sum().item<double>() / (2 * 32 * 8), 1.0, 0.15);
}

// fast_dropout: at::dropout's contract (kept share 1 - p, kept values scaled
// by 1/(1-p), gradient = the same mask), a function of torch::manual_seed.
TEST(FastDropout, MatchesTheDropoutContract) {
  at::Tensor x = at::rand({64, 1024}, at::kDouble).add_(0.5).requires_grad_();
  torch::manual_seed(4);
  at::Tensor y = fast_dropout(x, 0.3, true);
  torch::manual_seed(4);
  EXPECT_TRUE(at::equal(fast_dropout(x, 0.3, true), y));
  EXPECT_FALSE(at::equal(fast_dropout(x, 0.3, true), y));  // the generator moved on
  at::Tensor kept = y.ne(0);
  EXPECT_NEAR(kept.to(at::kDouble).mean().item<double>(), 0.7, 0.01);
  const double scale = 65536.0 / (65536.0 - std::llround(0.3 * 65536.0));
  EXPECT_NEAR(scale, 1.0 / 0.7, 1e-4);
  EXPECT_TRUE(at::allclose(y.masked_select(kept), x.masked_select(kept) * scale));
  y.sum().backward();
  EXPECT_TRUE(at::allclose(x.grad(), kept.to(at::kDouble) * scale));
  EXPECT_TRUE(at::equal(fast_dropout(x, 0.3, false), x));
  at::Tensor b = at::ones({4096}, at::kBFloat16);
  EXPECT_NEAR(fast_dropout(b, 0.5, true).to(at::kFloat).mean().item<double>(), 1.0, 0.06);
}

// The whole model with the kernel on and off: encoder and decoder, padded
// batches, logits and every parameter's gradient.
TEST(FusedAttention, ModelLogitsAndGradientsMatchTheCompositePath) {
  ModelConfig c = testing::tiny_config();
  c.dropout = 0.0;
  torch::manual_seed(2);
  Seq2SeqTransformer model(c);
  std::vector<std::vector<int64_t>> sources{{5, 6, 7, 8, 9, 10, 11, 12, 13}, {4, 5}},
      targets{{7, 8, 9, 10, 11, 12, 13}, {9}};
  Batch b = make_batch(sources, targets, c.max_len, c.vocab_size);
  auto run = [&](FusedAttention mode) {
    set_fused_attention(*model, mode);
    model->zero_grad();
    at::Tensor logits = model->forward(b.source, b.decoder_input);
    sequence_loss(logits, b.labels).backward();
    std::vector<at::Tensor> grads;
    for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return std::make_pair(logits.detach(), grads);
  };
  auto off = run(FusedAttention::kOff);
  auto on = run(FusedAttention::kOn);
  EXPECT_LT((on.first - off.first).abs().max().item<double>(), 1e-5);
  for (size_t i = 0; i < on.second.size(); ++i)
    EXPECT_LT((on.second[i] - off.second[i]).abs().max().item<double>(), 1e-5) << i;
  EXPECT_EQ(parse_fused_attention("off"), FusedAttention::kOff);
  EXPECT_STREQ(fused_attention_name(parse_fused_attention("on")), "on");
  EXPECT_ANY_THROW(parse_fused_attention("sometimes"));
}

}  // namespace
}  // namespace acc::model
