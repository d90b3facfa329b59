// Parameter count and FLOP estimates of the Transformer, for model FLOPs
// utilisation (MFU). No LibTorch: pure arithmetic on the config.
//
// FLOPs count multiply-adds as 2 and cover the matrix products (projections,
// Q K^T, the relative term Q rel^T, weights x V, FFN, output layer). The
// attention products are counted as computed: full L x L (the causal mask
// does not halve them), the relative term over min(L, R) (causal) or
// 2 min(L, R) - 1 (bidirectional) distances. Softmax, LayerNorm, embeddings
// and the skew's copies are not counted (they are memory-bound and small).
// Training = 3 x forward (the backward pass costs twice the forward).
#pragma once

#include <cstdint>

#include "accompanist/model/config.h"

namespace acc::model {

// Number of scalars in named_parameters().
int64_t parameter_count(const ModelConfig& c);

// Forward FLOPs for one (source, decoder input) pair of lengths S and T.
double forward_flops(const ModelConfig& c, int64_t source_len, int64_t target_len);

// 3 x forward_flops.
double training_flops(const ModelConfig& c, int64_t source_len, int64_t target_len);

}  // namespace acc::model
