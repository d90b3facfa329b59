// Multi-head attention with an optional relative position term (SPEC section 5):
//   softmax((Q K^T + S_rel) / sqrt(dk) + mask) V, dropout on the weights,
//   output projection.
// Parameters: q, k, v, o (Linear, [out, in]) and, with a relative mode, rel.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "accompanist/model/fused_relative_attention.h"

namespace acc::model {

enum class RelativeMode {
  kNone,           // plain scaled dot product (cross-attention)
  kCausal,         // rel [H, R, dk], distances -(R-1)..0 (decoder self-attention)
  kBidirectional,  // rel [H, 2R-1, dk], distances -(R-1)..R-1 (encoder self-attention)
};

struct AttentionOptions {
  AttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(double, dropout) = 0.0;  // on the attention weights
  TORCH_ARG(RelativeMode, relative) = RelativeMode::kNone;
  TORCH_ARG(int64_t, max_relative_distance) = 1;  // R
  // > 0: a learned per-head bias by clamped bar distance, bar_bias [H, 2D+1]
  // (cross-attention with model.bar_alignment.bias; D = bias_distance).
  TORCH_ARG(int64_t, bar_bias_distance) = -1;
  // Self-attention with a relative mode: the blocked kernel or the composite
  // path (fused_relative_attention.h); the same result either way.
  TORCH_ARG(FusedAttention, fused) = default_fused_attention();
};

// Keys and values of one attention layer during incremental decoding.
// k, v: [B, H, capacity, dk]; the first `length` positions are filled.
struct AttentionCache {
  torch::Tensor k, v;
  torch::Tensor key_pad;  // [B, 1, 1, capacity] bool, true where the key is PAD
  int64_t length = 0;
};

class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  explicit MultiHeadAttentionImpl(const AttentionOptions& options);

  // query [B, Lq, d], memory [B, Lk, d] (query itself for self-attention).
  // mask: bool, broadcastable to [B, H, Lq, Lk], true where a key must not be
  // seen (PAD keys, future keys); built once per forward by the caller.
  // bar_distance: [B, Lq, Lk] int64 indices into bar_bias (CrossBarContext),
  // required when the layer has a bar bias. Returns [B, Lq, d].
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& memory, const torch::Tensor& mask,
                        const torch::Tensor& bar_distance = {});

  // Incremental self-attention (causal): x [B, 1, d] is the query at
  // position cache.length; its key and value are appended to the cache (grown
  // when full). pad: [B] bool, true where this position's token is PAD.
  torch::Tensor step_self(const torch::Tensor& x, const torch::Tensor& pad, AttentionCache& cache, int64_t capacity);

  // Cross-attention keys and values for a fixed memory [B, S, d], computed once.
  AttentionCache precompute_memory(const torch::Tensor& memory, const torch::Tensor& key_pad);
  // x [B, Lq, d] attending to a precomputed memory cache. mask (broadcastable
  // to [B, H, Lq, S]) replaces the cache's key_pad when defined; bar_distance as in forward().
  torch::Tensor attend_cached(const torch::Tensor& x, const AttentionCache& cache, const torch::Tensor& mask = {},
                              const torch::Tensor& bar_distance = {});

  const AttentionOptions& options() const { return options_; }
  void set_fused(FusedAttention mode) { options_.fused(mode); }

  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  torch::Tensor rel;       // [H, R, dk] or [H, 2R-1, dk]; undefined without a relative mode
  torch::Tensor bar_bias;  // [H, 2D+1]; undefined without bar_bias_distance

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, L, d] -> [B, H, L, dk]
  torch::Tensor merge_heads(const torch::Tensor& x) const;  // [B, H, L, dk] -> [B, L, d]
  // scores [B, H, Lq, Lk] (masked, relative term added) -> output [B, Lq, d].
  torch::Tensor finish(torch::Tensor scores, const torch::Tensor& values);
  // scores [B, H, Lq, Lk] += bar_bias[h, bar_distance[b, i, j]].
  void add_bar_bias(torch::Tensor& scores, const torch::Tensor& bar_distance) const;

  AttentionOptions options_;
  double scale_;
};
TORCH_MODULE(MultiHeadAttention);

// Sets the fused-attention mode of every attention layer in `module` and its
// children (a whole model), as eval() sets the training flag: for A/B runs of
// the two paths in tests and benchmarks.
void set_fused_attention(torch::nn::Module& module, FusedAttention mode);

}  // namespace acc::model
