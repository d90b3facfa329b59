// The cross-attention mask and bias indices that align a target bar with the
// same source bar (BarAlignment in config.h, docs/model.md "Bar alignment"),
// from the bar indices of musical_time.h.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "accompanist/model/config.h"
#include "accompanist/model/musical_time.h"

namespace acc::model {

// What every decoder layer's cross-attention needs, computed once a forward.
struct CrossBarContext {
  at::Tensor mask;      // [B, 1, Lq, Lk] bool, true where a key is hidden (PAD or outside the window)
  at::Tensor distance;  // [B, Lq, Lk] int64 in 0..2D: clamped (key bar - query bar) + D; undefined without bias
};

// key_pad [B, Lk] bool (true = PAD), query_bars [B, Lq], key_bars [B, Lk] int64.
// Without alignment options the mask is key_pad as [B, 1, 1, Lk].
CrossBarContext cross_bar_context(const BarAlignment& a, const at::Tensor& key_pad, const at::Tensor& query_bars,
                                  const at::Tensor& key_bars);

}  // namespace acc::model
