#include "accompanist/model/attention.h"

#include <torch/nn/functional/dropout.h>
#include <torch/nn/init.h>

#include <cmath>
#include <limits>

#include "accompanist/model/dropout.h"
#include "accompanist/model/fused_relative_attention.h"
#include "accompanist/model/relative.h"
#include "accompanist/util/error.h"

namespace acc::model {

namespace {
constexpr float kMasked = -std::numeric_limits<float>::infinity();
}  // namespace

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const AttentionOptions& options) : options_(options) {
  const int64_t d = options_.d_model(), H = options_.heads();
  ACC_CHECK(d % H == 0, "attention", "d_model must be divisible by heads");
  const int64_t dk = d / H;
  scale_ = 1.0 / std::sqrt(static_cast<double>(dk));
  q = register_module("q", torch::nn::Linear(d, d));
  k = register_module("k", torch::nn::Linear(d, d));
  v = register_module("v", torch::nn::Linear(d, d));
  o = register_module("o", torch::nn::Linear(d, d));
  // Xavier weights and zero biases (as PyTorch's nn.MultiheadAttention and fairseq).
  for (auto* lin : {&q, &k, &v, &o}) {
    torch::nn::init::xavier_uniform_((*lin)->weight);
    torch::nn::init::zeros_((*lin)->bias);
  }
  const int64_t R = options_.max_relative_distance();
  if (options_.relative() != RelativeMode::kNone) {
    ACC_CHECK(R >= 1, "attention", "max_relative_distance must be positive");
    const int64_t rows = options_.relative() == RelativeMode::kCausal ? R : 2 * R - 1;
    // Same scale as the keys' contribution so that neither term dominates at the start.
    rel = register_parameter("rel", torch::randn({H, rows, dk}) * scale_);
  }
  if (options_.bar_bias_distance() >= 0)
    // Zero: training starts from plain attention and learns how much bars matter.
    bar_bias = register_parameter("bar_bias", torch::zeros({H, 2 * options_.bar_bias_distance() + 1}));
}

void MultiHeadAttentionImpl::add_bar_bias(torch::Tensor& scores, const torch::Tensor& bar_distance) const {
  if (!bar_bias.defined()) return;
  ACC_CHECK(bar_distance.defined(), "attention", "the layer has a bar bias but no bar distances were given");
  // embedding() gathers rows of [2D+1, H] (and scatters back in backward) without a one-hot.
  torch::Tensor bias = torch::embedding(bar_bias.t(), bar_distance);  // [B, Lq, Lk, H]
  scores.add_(bias.permute({0, 3, 1, 2}));  // [B, H, Lq, Lk], added after the 1/sqrt(dk) scaling
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  const int64_t B = x.size(0), L = x.size(1), H = options_.heads();
  return x.view({B, L, H, -1}).transpose(1, 2);  // [B, H, L, dk]
}

torch::Tensor MultiHeadAttentionImpl::merge_heads(const torch::Tensor& x) const {
  const int64_t B = x.size(0), L = x.size(2);
  return x.transpose(1, 2).reshape({B, L, options_.d_model()});  // [B, L, d]
}

torch::Tensor MultiHeadAttentionImpl::finish(torch::Tensor scores, const torch::Tensor& values) {
  torch::Tensor weights = scores.softmax(-1);  // [B, H, Lq, Lk]
  weights = fast_dropout(weights, options_.dropout(), is_training());
  return o(merge_heads(torch::matmul(weights, values)));  // [B, Lq, d]
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& memory,
                                              const torch::Tensor& mask, const torch::Tensor& bar_distance) {
  if (options_.relative() != RelativeMode::kNone && use_fused_attention(options_.fused(), query)) {
    // Self-attention in query blocks (fused_relative_attention.h): the same result, no L x (L+1) skew copies.
    torch::Tensor qh = split_heads(q(query)) * scale_;
    return o(merge_heads(fused_relative_attention(qh, split_heads(k(memory)), split_heads(v(memory)), rel, mask,
                                                  options_.relative() == RelativeMode::kCausal, options_.dropout(),
                                                  is_training())));
  }
  // Scaling q once scales both Q K^T and S_rel = Q rel^T.
  torch::Tensor qh = split_heads(q(query)) * scale_;             // [B, H, Lq, dk]
  torch::Tensor kh = split_heads(k(memory));                     // [B, H, Lk, dk]
  torch::Tensor vh = split_heads(v(memory));                     // [B, H, Lk, dk]
  torch::Tensor scores = torch::matmul(qh, kh.transpose(2, 3));  // [B, H, Lq, Lk]
  switch (options_.relative()) {
    case RelativeMode::kCausal:
      scores.add_(relative_logits_causal(qh, rel));
      break;
    case RelativeMode::kBidirectional:
      scores.add_(relative_logits_bidirectional(qh, rel));
      break;
    case RelativeMode::kNone:
      break;
  }
  add_bar_bias(scores, bar_distance);
  if (mask.defined()) scores.masked_fill_(mask, kMasked);
  return finish(std::move(scores), vh);
}

torch::Tensor MultiHeadAttentionImpl::step_self(const torch::Tensor& x, const torch::Tensor& pad, AttentionCache& cache,
                                                int64_t capacity) {
  const int64_t B = x.size(0), H = options_.heads(), dk = options_.d_model() / H;
  const int64_t t = cache.length;
  if (!cache.k.defined() || cache.k.size(2) <= t) {
    // Grow geometrically so that a run past the planned capacity stays linear.
    const int64_t cap = std::max<int64_t>({capacity, t + 1, cache.k.defined() ? 2 * cache.k.size(2) : 0});
    torch::Tensor k_new = torch::zeros({B, H, cap, dk}, x.options());
    torch::Tensor v_new = torch::zeros({B, H, cap, dk}, x.options());
    torch::Tensor pad_new = torch::ones({B, 1, 1, cap}, x.options().dtype(torch::kBool));
    if (t > 0) {
      k_new.narrow(2, 0, t).copy_(cache.k.narrow(2, 0, t));
      v_new.narrow(2, 0, t).copy_(cache.v.narrow(2, 0, t));
      pad_new.narrow(3, 0, t).copy_(cache.key_pad.narrow(3, 0, t));
    }
    cache.k = k_new;
    cache.v = v_new;
    cache.key_pad = pad_new;
  }
  torch::Tensor qh = split_heads(q(x)) * scale_;                // [B, H, 1, dk]
  cache.k.narrow(2, t, 1).copy_(split_heads(k(x)));             // [B, H, 1, dk]
  cache.v.narrow(2, t, 1).copy_(split_heads(v(x)));             // [B, H, 1, dk]
  cache.key_pad.narrow(3, t, 1).copy_(pad.view({B, 1, 1, 1}));  // [B, 1, 1, 1]
  cache.length = t + 1;

  torch::Tensor keys = cache.k.narrow(2, 0, t + 1);                // [B, H, t+1, dk]
  torch::Tensor scores = torch::matmul(qh, keys.transpose(2, 3));  // [B, H, 1, t+1]
  if (options_.relative() == RelativeMode::kCausal) {
    torch::Tensor row = relative_logits_causal_row(qh, rel, t);  // [B, H, 1, n]
    scores.narrow(3, t + 1 - row.size(3), row.size(3)).add_(row);
  }
  scores.masked_fill_(cache.key_pad.narrow(3, 0, t + 1), kMasked);
  return finish(std::move(scores), cache.v.narrow(2, 0, t + 1));
}

AttentionCache MultiHeadAttentionImpl::precompute_memory(const torch::Tensor& memory, const torch::Tensor& key_pad) {
  AttentionCache cache;
  cache.k = split_heads(k(memory));  // [B, H, S, dk]
  cache.v = split_heads(v(memory));  // [B, H, S, dk]
  cache.key_pad = key_pad.view({key_pad.size(0), 1, 1, key_pad.size(1)});
  cache.length = memory.size(1);
  return cache;
}

torch::Tensor MultiHeadAttentionImpl::attend_cached(const torch::Tensor& x, const AttentionCache& cache,
                                                    const torch::Tensor& mask, const torch::Tensor& bar_distance) {
  torch::Tensor qh = split_heads(q(x)) * scale_;                      // [B, H, Lq, dk]
  torch::Tensor scores = torch::matmul(qh, cache.k.transpose(2, 3));  // [B, H, Lq, S]
  add_bar_bias(scores, bar_distance);
  scores.masked_fill_(mask.defined() ? mask : cache.key_pad, kMasked);
  return finish(std::move(scores), cache.v);
}

void set_fused_attention(torch::nn::Module& module, FusedAttention mode) {
  if (auto* attention = module.as<MultiHeadAttentionImpl>()) attention->set_fused(mode);
  for (const auto& child : module.modules(/*include_self=*/false))
    if (auto* attention = child->as<MultiHeadAttentionImpl>()) attention->set_fused(mode);
}

}  // namespace acc::model
