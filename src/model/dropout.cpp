#include "accompanist/model/dropout.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "accompanist/util/splitmix64.h"

namespace acc::model {

namespace {

using util::splitmix64;

// The scale tensor of a dropout: scale where kept, 0 where dropped, x's dtype.
at::Tensor dropout_scale_tensor(const at::Tensor& like, const DropoutDraw& d) {
  at::Tensor out = at::empty(like.sizes(), like.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t n = out.numel();
  const uint64_t seed = splitmix64(d.seed);
  AT_DISPATCH_FLOATING_TYPES_AND(at::kBFloat16, out.scalar_type(), "dropout_scale", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    const scalar_t kept = scalar_t(d.scale), dropped = scalar_t(0);
    at::parallel_for(0, (n + 3) / 4, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t g = begin; g < end; ++g) {
        const uint64_t z = splitmix64(seed + uint64_t(g));
        for (int64_t l = 0; l < 4 && 4 * g + l < n; ++l)
          o[4 * g + l] = uint32_t((z >> (16 * l)) & 0xffffu) >= d.threshold ? kept : dropped;
      }
    });
  });
  return out;
}

}  // namespace

DropoutDraw draw_dropout(double p) {
  DropoutDraw d;
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    d.seed = gen.get<at::CPUGeneratorImpl>()->random64();
  }
  d.threshold = uint32_t(std::llround(p * 65536.0));
  d.threshold = std::min<uint32_t>(d.threshold, 65535);
  d.scale = 65536.0 / double(65536 - d.threshold);
  return d;
}

at::Tensor fast_dropout(const at::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return x;
  if (!x.device().is_cpu() || p >= 1.0) return at::dropout(x, p, training);
  at::Tensor scale;
  {
    at::NoGradGuard no_grad;
    scale = dropout_scale_tensor(x, draw_dropout(p));
  }
  return x * scale;
}

}  // namespace acc::model
