// Dropout with masks from a counter-based hash instead of at::bernoulli_,
// which draws every element from a serial mt19937 on CPU builds without MKL
// (measured at ~4.5 ns per element, a quarter of a Table 1 training step).
// The seed of each draw comes from LibTorch's default generator, so
// torch::manual_seed and the checkpointed RNG state govern the masks. The
// fused relative attention draws its masks the same way (DropoutDraw), inside
// its row kernels.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace acc::model {

// One dropout draw. An element is kept when its 16-bit lane of a splitmix64
// hash of (seed, element index) is >= threshold: fast_dropout hashes four
// elements per call, the fused attention's row kernels one (attention_rows.h).
struct DropoutDraw {
  uint64_t seed = 0;
  uint32_t threshold = 0;  // a 16-bit lane below it is dropped
  double scale = 1.0;      // 1 / P(kept), exactly
};

// A fresh draw for drop probability p in (0, 1): takes one 64-bit number from
// LibTorch's default CPU generator.
DropoutDraw draw_dropout(double p);

// Inverted dropout as at::dropout (kept elements scaled by 1/(1-p)) with the
// mask of a DropoutDraw. Other devices than the CPU, and p >= 1, use
// at::dropout.
at::Tensor fast_dropout(const at::Tensor& x, double p, bool training);

}  // namespace acc::model
