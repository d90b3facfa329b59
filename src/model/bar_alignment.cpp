#include "accompanist/model/bar_alignment.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "accompanist/util/error.h"

namespace acc::model {

CrossBarContext cross_bar_context(const BarAlignment& a, const at::Tensor& key_pad, const at::Tensor& query_bars,
                                  const at::Tensor& key_bars) {
  const int64_t B = key_pad.size(0), Lk = key_pad.size(1);
  CrossBarContext ctx;
  at::Tensor pad = key_pad.view({B, 1, 1, Lk});  // [B, 1, 1, Lk]
  if (!a.window && !a.bias) {
    ctx.mask = pad;
    return ctx;
  }
  ACC_CHECK(query_bars.defined() && key_bars.defined(), "model",
            "the model aligns bars (model.bar_alignment) but no bar indices were given");
  ACC_CHECK(query_bars.size(0) == B && key_bars.size(0) == B && key_bars.size(1) == Lk, "model",
            "bar indices do not match the batch");
  const int64_t Lq = query_bars.size(1);
  at::Tensor diff = key_bars.view({B, 1, Lk}) - query_bars.view({B, Lq, 1});  // [B, Lq, Lk]
  if (a.window) {
    at::Tensor outside = diff.lt(-a.window_before).logical_or(diff.gt(a.window_after));  // [B, Lq, Lk]
    at::Tensor hidden = outside.view({B, 1, Lq, Lk}).logical_or(pad);                    // [B, 1, Lq, Lk]
    // A query with nothing in its window (past the source's last bar) sees the whole source.
    at::Tensor empty = hidden.all(-1, /*keepdim=*/true);  // [B, 1, Lq, 1]
    ctx.mask = at::where(empty, pad, hidden);             // [B, 1, Lq, Lk]
  } else {
    ctx.mask = pad;
  }
  if (a.bias) ctx.distance = diff.clamp(-a.bias_distance, a.bias_distance) + a.bias_distance;  // [B, Lq, Lk]
  return ctx;
}

}  // namespace acc::model
