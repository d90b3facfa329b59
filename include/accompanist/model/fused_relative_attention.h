// Relative self-attention computed in query blocks, forward and backward, as
// one autograd function (the composite path in attention.cpp + relative.cpp
// stays the reference and the fallback):
//   out = Drop(softmax(q k^T + S_rel + mask)) v,   q already scaled by 1/sqrt(dk).
// Per block of `block` query rows: the keys it can see only (causal: the
// blocks above the diagonal are skipped), the relative term as q_blk times
// the rel rows of the block's distances, read skewed through a strided view
// of that small product (no [B, H, L, L+1] pad and reshape), mask, softmax
// (fp32) and dropout on the block. Backward reuses the block's saved
// probabilities. fp32, bf16 (matrix products in bf16, softmax in fp32) and
// double (gradient checks).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace acc::model {

// q, k, v [B, H, L, dk] (self-attention: same L), rel [H, R, dk] (causal) or
// [H, 2R-1, dk] (bidirectional), mask bool broadcastable to [B, H, L, L]
// (true = not seen) or undefined. Returns [B, H, L, dk] in q's dtype.
at::Tensor fused_relative_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& rel, const at::Tensor& mask, bool causal, double dropout,
                                    bool training, int64_t block = 128);

// Whether an attention layer uses it (AttentionOptions::fused; on a whole
// model: set_fused_attention in attention.h): auto (CPU tensors), on
// (always), off (the composite path).
enum class FusedAttention { kAuto, kOn, kOff };
// "auto", "on" or "off"; anything else is an error.
FusedAttention parse_fused_attention(const std::string& text);
const char* fused_attention_name(FusedAttention mode);
// The default of AttentionOptions::fused: ACCOMPANIST_FUSED_ATTENTION when
// set, else auto.
FusedAttention default_fused_attention();
// Whether a layer in `mode` takes the fused path for queries like q.
bool use_fused_attention(FusedAttention mode, const at::Tensor& q);

}  // namespace acc::model
