#include "accompanist/model/relative.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace acc::model {

at::Tensor relative_logits_causal(const at::Tensor& q, const at::Tensor& rel) {
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2);
  const int64_t R = rel.size(1);
  const int64_t n = std::min(L, R);
  // Column c of qe is distance c-(n-1); the L-n missing distances (past R-1)
  // become zero columns in the same pad that makes room for the skew.
  at::Tensor qe = at::matmul(q, rel.narrow(1, R - n, n).transpose(1, 2));  // [B, H, L, n]
  at::Tensor padded = at::constant_pad_nd(qe, {L - n + 1, 0});             // [B, H, L, L+1]
  // Row i of the result starts L-1-i columns into row i of qe.
  return padded.reshape({B, H, L + 1, L}).narrow(2, 1, L);  // [B, H, L, L]
}

at::Tensor relative_logits_bidirectional(const at::Tensor& q, const at::Tensor& rel) {
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2);
  const int64_t R = (rel.size(1) + 1) / 2;
  const int64_t n = std::min(L, R);
  // The middle 2n-1 rows: distances -(n-1)..n-1; column c of qe is distance c-(n-1).
  at::Tensor qe = at::matmul(q, rel.narrow(1, R - n, 2 * n - 1).transpose(1, 2));  // [B, H, L, 2n-1]
  // Zero columns for distances past R-1 on both sides, plus one column on the
  // right so that a row of 2L entries read with stride 2L-1 walks the diagonal.
  at::Tensor padded = at::constant_pad_nd(qe, {L - n, L - n + 1});  // [B, H, L, 2L]
  // Entry (i, j) sits at flat index i*2L + (L-1-i+j) = (L-1) + i*(2L-1) + j.
  at::Tensor flat = padded.reshape({B, H, 2 * L * L}).narrow(2, L - 1, L * (2 * L - 1));
  return flat.reshape({B, H, L, 2 * L - 1}).narrow(3, 0, L);  // [B, H, L, L]
}

at::Tensor relative_logits_causal_row(const at::Tensor& q, const at::Tensor& rel, int64_t t) {
  const int64_t R = rel.size(1);
  const int64_t n = std::min(t + 1, R);
  return at::matmul(q, rel.narrow(1, R - n, n).transpose(1, 2));  // [B, H, 1, n]
}

}  // namespace acc::model
