// Row kernels of the fused relative attention (fused_relative_attention.cpp):
// plain loops over one row of a query block that read and write the block's
// own dtype (fp32, bf16 as its raw 16 bits, or double for the gradient
// checks) and compute in fp32 (double for double). The fp32 and bf16 versions
// are compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time
// (GCC target_clones), so one binary uses the widest vectors of the CPU it
// runs on. bf16 rounding is LibTorch's (round to nearest even, NaN kept).
// No LibTorch here.
#pragma once

#include <cstdint>

namespace acc::model::rows {

using bf16_bits = uint16_t;  // c10::BFloat16's storage

// out[j] = s[j] + e[j] for j < visible, -inf for j >= visible and where
// mask[j] (mask may be null); n entries.
void logits(const float* s, const float* e, const bool* mask, int64_t visible, int64_t n, float* out);
void logits(const bf16_bits* s, const bf16_bits* e, const bool* mask, int64_t visible, int64_t n, float* out);
void logits(const double* s, const double* e, const bool* mask, int64_t visible, int64_t n, double* out);

// Dropout of one row of probabilities pm: element j is kept when the low 16
// bits of splitmix64(seed + first + j) are >= threshold; keep[j] says so,
// pd[j] = kept ? pm[j] * scale : 0 and, when p is not null, p[j] = pm[j]
// (both in the block's dtype).
void dropout(const float* pm, uint64_t seed, uint64_t first, uint32_t threshold, float scale, int64_t n, bool* keep,
             float* p, float* pd);
void dropout(const float* pm, uint64_t seed, uint64_t first, uint32_t threshold, float scale, int64_t n, bool* keep,
             bf16_bits* p, bf16_bits* pd);
void dropout(const double* pm, uint64_t seed, uint64_t first, uint32_t threshold, double scale, int64_t n, bool* keep,
             double* p, double* pd);

// Softmax backward of one row through the dropout: dp[j] = keep ? (keep[j] ?
// g[j] * scale : 0) : g[j]; ds[j] = p[j] * (dp[j] - sum_k dp[k] p[k]), also
// written skewed: de[0, left) = 0, de[left + j] = ds[j], de[left + n, width) = 0;
// with keep, pd[j] = keep[j] ? p[j] * scale : 0 (the dropped p for dV).
void softmax_backward(const float* p, const float* g, const bool* keep, float scale, int64_t n, int64_t left,
                      int64_t width, float* ds, float* de, float* pd);
void softmax_backward(const bf16_bits* p, const bf16_bits* g, const bool* keep, float scale, int64_t n, int64_t left,
                      int64_t width, bf16_bits* ds, bf16_bits* de, bf16_bits* pd);
void softmax_backward(const double* p, const double* g, const bool* keep, double scale, int64_t n, int64_t left,
                      int64_t width, double* ds, double* de, double* pd);

}  // namespace acc::model::rows
