// Musical time for the model: the bar index of every token, and the
// cross-attention mask and bias indices that align a target bar with the same
// source bar (BarAlignment in config.h, docs/model.md "Bar alignment").
//
// A token's bar index is the number of Bar tokens in the base REMI expansions
// of the sequence up to and including it, minus one, and 0 before the first
// Bar. A BPE token that spans a bar line therefore belongs to the bar it opens,
// and BOS (no Bar) to bar 0. The model knows nothing of the tokenizer: callers
// pass `bar_counts`, the number of Bar tokens in each id's expansion
// (Tokenizer::bar_counts()).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "accompanist/model/config.h"

namespace acc::model {

// ids -> bar index per position (see above). Ids outside bar_counts count 0.
std::vector<int64_t> bar_indices(const int64_t* ids, int64_t n, const std::vector<int32_t>& bar_counts);

// The bar index after one more token, given the Bar tokens seen so far
// (`bars_seen`, updated): what incremental decoding uses.
int64_t next_bar_index(int64_t& bars_seen, int64_t id, const std::vector<int32_t>& bar_counts);

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
