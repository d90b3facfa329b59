// Relative position logits (Music Transformer "skewing", Huang et al. 2018).
//
// S_rel[b,h,i,j] = q[b,h,i] . rel[h, j-i+R-1] for the distances the table
// covers, 0 beyond. The product q . rel^T is formed for the distances the
// current length needs only, then shifted into place by padding a column,
// reshaping and slicing: memory O(B*H*L*L), never an L x L x dk tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace acc::model {

// Causal (decoder) table: rel [H, R, dk], row r is distance r-(R-1), i.e.
// -(R-1)..0. q [B, H, L, dk] -> [B, H, L, L]. Entries above the diagonal
// (future keys) are unspecified: the causal mask removes them.
at::Tensor relative_logits_causal(const at::Tensor& q, const at::Tensor& rel);

// Bidirectional (encoder) table: rel [H, 2R-1, dk], row r is distance r-(R-1).
// q [B, H, L, dk] -> [B, H, L, L], every entry defined.
at::Tensor relative_logits_bidirectional(const at::Tensor& q, const at::Tensor& rel);

// One new causal query at position t (0-based): q [B, H, 1, dk] ->
// [B, H, 1, n] with n = min(t+1, R), the logits of keys t-n+1..t (keys further
// back are past R-1 and get 0).
at::Tensor relative_logits_causal_row(const at::Tensor& q, const at::Tensor& rel, int64_t t);

}  // namespace acc::model
