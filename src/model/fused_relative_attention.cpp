#include "accompanist/model/fused_relative_attention.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "accompanist/model/dropout.h"
#include "accompanist/util/env.h"
#include "accompanist/util/error.h"
#include "attention_rows.h"

namespace acc::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Geometry of one query block: rows [i0, i0 + rows), keys [0, keys), and the
// distances its relative term needs, columns [start, start + width) of the
// zero-padded table (column t = distance t - (L-1)).
struct Block {
  int64_t i0, rows, keys, start, width;
};

Block block_at(int64_t i0, int64_t block, int64_t L, bool causal) {
  Block b;
  b.i0 = i0;
  b.rows = std::min(block, L - i0);
  b.keys = causal ? i0 + b.rows : L;  // causal: the keys after the block's last row are never seen
  // Entry (r, j) has distance j - (i0 + r); column c = j - r + rows - 1 of the
  // block's product is distance c - (rows - 1) - i0.
  b.width = b.keys + b.rows - 1;
  b.start = (L - 1) - (b.rows - 1) - i0;
  return b;
}

// rel [H, rows, dk] -> [H, 2L-1, dk], row t = distance t - (L-1), zero past R-1
// (and, causal, for the future distances, which the causal mask removes).
at::Tensor distance_table(const at::Tensor& rel, int64_t L, bool causal, at::ScalarType dtype) {
  const int64_t H = rel.size(0), dk = rel.size(2);
  at::Tensor table = at::zeros({H, 2 * L - 1, dk}, rel.options().dtype(dtype));
  if (causal) {
    const int64_t R = rel.size(1), n = std::min(L, R);
    table.narrow(1, L - n, n).copy_(rel.narrow(1, R - n, n));
  } else {
    const int64_t R = (rel.size(1) + 1) / 2, n = std::min(L, R);
    table.narrow(1, L - n, 2 * n - 1).copy_(rel.narrow(1, R - n, 2 * n - 1));
  }
  return table;
}

// The inverse of distance_table for gradients.
at::Tensor table_to_rel(const at::Tensor& dtable, const at::Tensor& rel, int64_t L, bool causal) {
  at::Tensor drel = at::zeros_like(rel, rel.options().dtype(dtable.scalar_type()));
  if (causal) {
    const int64_t R = rel.size(1), n = std::min(L, R);
    drel.narrow(1, R - n, n).copy_(dtable.narrow(1, L - n, n));
  } else {
    const int64_t R = (rel.size(1) + 1) / 2, n = std::min(L, R);
    drel.narrow(1, R - n, 2 * n - 1).copy_(dtable.narrow(1, L - n, 2 * n - 1));
  }
  return drel.to(rel.scalar_type());
}

// One pass per row of a block (forward): logits = s + skewed e, masked
// (mask, causal) to -inf, softmax in opmath (fp32 for bf16), dropout from the
// hash of the element's global index (independent of the block size); writes
// p (saved for backward), pd = dropped and scaled p (for the product with V)
// and keep. s [B, H, rows, keys], e [B, H, rows, width], all contiguous. The
// row loops are attention_rows.h's vectorised kernels: they read and write the
// block's dtype and compute in opmath.
struct RowMask {
  const bool* data = nullptr;
  int64_t sb = 0, sh = 0, si = 0;  // 0 for broadcast dimensions; keys are contiguous
};

RowMask row_mask(at::Tensor& storage, const at::Tensor& mask, int64_t B, int64_t H, int64_t L) {
  RowMask m;
  if (mask.numel() == 0) return m;
  // The row kernels read a row's keys contiguously (always so for the model's masks).
  storage = mask.stride(-1) == 1 ? mask : mask.contiguous();
  const at::Tensor e = storage.expand({B, H, L, L});
  m.data = e.data_ptr<bool>();
  m.sb = e.stride(0), m.sh = e.stride(1), m.si = e.stride(2);
  return m;
}

// The block's storage as attention_rows.h's kernels take it (bf16 as its raw bits).
template <class T>
T* row_data(const at::Tensor& t) {
  if constexpr (std::is_same_v<std::remove_const_t<T>, rows::bf16_bits>)
    return reinterpret_cast<T*>(t.data_ptr<at::BFloat16>());
  else
    return t.data_ptr<std::remove_const_t<T>>();
}

// The row kernels' compute type for a storage type: double for double, else fp32.
template <class T>
using RowMath = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Calls f with a null pointer of the storage type of `dtype` (float, bf16 bits or double).
template <class F>
void dispatch_rows(at::ScalarType dtype, F&& f) {
  switch (dtype) {
    case at::kFloat:
      return f(static_cast<float*>(nullptr));
    case at::kBFloat16:
      return f(static_cast<rows::bf16_bits*>(nullptr));
    case at::kDouble:
      return f(static_cast<double*>(nullptr));
    default:
      throw Error("fused attention", std::string("unsupported dtype ") + c10::toString(dtype));
  }
}

void softmax_dropout_rows(const at::Tensor& s, const at::Tensor& e, const RowMask& mask, const Block& b, int64_t L,
                          bool causal, const DropoutDraw* drop, at::Tensor& p, at::Tensor& pd, at::Tensor& keep) {
  const int64_t B = s.size(0), H = s.size(1), rows = b.rows, keys = b.keys, width = b.width;
  const at::ScalarType ct = s.scalar_type(), math = ct == at::kDouble ? at::kDouble : at::kFloat;
  at::Tensor logits = at::empty(s.sizes(), s.options().dtype(math));
  // Pass 1: logits in opmath, masked.
  dispatch_rows(ct, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using M = RowMath<T>;
    const T* sp = row_data<const T>(s);
    const T* ep = row_data<const T>(e);
    M* lp = logits.data_ptr<M>();
    at::parallel_for(0, B * H * rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t idx = begin; idx < end; ++idx) {
        const int64_t bi = idx / (H * rows), h = (idx / rows) % H, r = idx % rows, i = b.i0 + r;
        const bool* mrow = mask.data ? mask.data + bi * mask.sb + h * mask.sh + i * mask.si : nullptr;
        const int64_t visible = causal ? std::min(keys, i + 1) : keys;
        // column j - r + rows - 1 of e
        rows::logits(sp + idx * keys, ep + idx * width + (rows - 1 - r), mrow, visible, keys, lp + idx * keys);
      }
    });
  });
  // Pass 2: LibTorch's (vectorised) softmax.
  at::Tensor pm = logits.softmax(-1);
  if (!drop) {
    p = pm.to(ct);
    pd = p;
    return;
  }
  // Pass 3: dropout from the hash of each element's global index (independent of the block size).
  p = ct == math ? pm : at::empty_like(s);
  pd = at::empty_like(s);
  keep = at::empty(s.sizes(), s.options().dtype(at::kBool));
  dispatch_rows(ct, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using M = RowMath<T>;
    const M* mp = pm.data_ptr<M>();
    T* pp = ct == math ? nullptr : row_data<T>(p);  // fp32/double: p is pm itself
    T* pdp = row_data<T>(pd);
    bool* kp = keep.data_ptr<bool>();
    const M scale = M(drop->scale);
    at::parallel_for(0, B * H * rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t idx = begin; idx < end; ++idx) {
        const int64_t bi = idx / (H * rows), h = (idx / rows) % H, r = idx % rows, i = b.i0 + r;
        const uint64_t first = uint64_t(((bi * H + h) * L + i) * L);
        const int64_t o = idx * keys;
        rows::dropout(mp + o, drop->seed, first, drop->threshold, scale, keys, kp + o, pp ? pp + o : nullptr, pdp + o);
      }
    });
  });
}

// One pass per row (backward): dp = dropout(dpd), ds = p * (dp - sum(dp * p)),
// written to ds [B, H, rows, keys] and skewed into de [B, H, rows, width]
// (zeros elsewhere); pd (dropped, scaled p) for dV when there is dropout.
void softmax_backward_rows(const at::Tensor& p, const at::Tensor& keep, double scale, const at::Tensor& dpd,
                           const Block& b, at::Tensor& ds, at::Tensor& de, at::Tensor& pd) {
  const int64_t B = p.size(0), H = p.size(1), rows = b.rows, keys = b.keys, width = b.width;
  const bool drop = keep.defined();
  const at::Tensor g = dpd.contiguous();
  ds = at::empty_like(p);
  de = at::empty({B, H, rows, width}, p.options());
  pd = drop ? at::empty_like(p) : p;
  dispatch_rows(p.scalar_type(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using M = RowMath<T>;
    const T* pp = row_data<const T>(p);
    const T* gp = row_data<const T>(g);
    const bool* kp = drop ? keep.data_ptr<bool>() : nullptr;
    T* dsp = row_data<T>(ds);
    T* dep = row_data<T>(de);
    T* pdp = drop ? row_data<T>(pd) : nullptr;
    const M sc = M(scale);
    at::parallel_for(0, B * H * rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t idx = begin; idx < end; ++idx) {
        const int64_t r = idx % rows, o = idx * keys;
        rows::softmax_backward(pp + o, gp + o, drop ? kp + o : nullptr, sc, keys, rows - 1 - r, width, dsp + o,
                               dep + idx * width, drop ? pdp + o : nullptr);
      }
    });
  });
}

at::ScalarType accumulate_type(at::ScalarType t) {
  return t == at::kDouble ? at::kDouble : at::kFloat;
}

struct FusedRelativeAttention : public torch::autograd::Function<FusedRelativeAttention> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& rel, const at::Tensor& mask, bool causal, double dropout,
                               bool training, int64_t block) {
    // Dtypes are chosen here, not by autocast: products in q's dtype, softmax in fp32 (or double).
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const at::ScalarType ct = q.scalar_type();
    const int64_t B = q.size(0), H = q.size(1), L = q.size(2), dk = q.size(3);
    const at::Tensor kc = k.to(ct), vc = v.to(ct);
    const at::Tensor table = distance_table(rel, L, causal, ct);  // [H, 2L-1, dk]
    const bool drop = training && dropout > 0.0;
    const DropoutDraw draw = drop ? draw_dropout(dropout) : DropoutDraw();
    at::Tensor out = at::empty({B, H, L, dk}, q.options());
    variable_list saved{q, kc, vc, rel, table};
    at::Tensor mask_storage;
    const RowMask rows_mask = row_mask(mask_storage, mask, B, H, L);
    for (int64_t i0 = 0; i0 < L; i0 += block) {
      const Block b = block_at(i0, block, L, causal);
      const at::Tensor qb = q.narrow(2, b.i0, b.rows);             // [B, H, rows, dk]
      const at::Tensor keys = kc.narrow(2, 0, b.keys);             // [B, H, keys, dk]
      const at::Tensor cols = table.narrow(1, b.start, b.width);   // [H, width, dk]
      const at::Tensor e = at::matmul(qb, cols.transpose(1, 2));   // [B, H, rows, width]
      const at::Tensor sc = at::matmul(qb, keys.transpose(2, 3));  // [B, H, rows, keys]
      at::Tensor p, pd, keep;
      softmax_dropout_rows(sc, e, rows_mask, b, L, causal, drop ? &draw : nullptr, p, pd, keep);
      out.narrow(2, b.i0, b.rows).copy_(at::matmul(pd, vc.narrow(2, 0, b.keys)));
      saved.push_back(p);
      saved.push_back(keep);
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["causal"] = causal;
    ctx->saved_data["dropout_scale"] = draw.scale;
    ctx->saved_data["block"] = block;
    return {out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &q = saved[0], &kc = saved[1], &vc = saved[2], &rel = saved[3], &table = saved[4];
    const bool causal = ctx->saved_data["causal"].toBool();
    const double scale = ctx->saved_data["dropout_scale"].toDouble();
    const int64_t block = ctx->saved_data["block"].toInt();
    const at::ScalarType ct = q.scalar_type(), acc = accumulate_type(ct);
    const int64_t L = q.size(2);
    const at::Tensor dout = grads[0].to(ct);
    at::Tensor dq = at::empty_like(q);
    at::Tensor dk = at::zeros(kc.sizes(), q.options().dtype(acc));
    at::Tensor dv = at::zeros(vc.sizes(), q.options().dtype(acc));
    at::Tensor dtable = at::zeros(table.sizes(), q.options().dtype(acc));
    size_t next = 5;
    for (int64_t i0 = 0; i0 < L; i0 += block) {
      const Block b = block_at(i0, block, L, causal);
      const at::Tensor& p = saved[next++];
      const at::Tensor& keep = saved[next++];
      const at::Tensor qb = q.narrow(2, b.i0, b.rows);
      const at::Tensor keys = kc.narrow(2, 0, b.keys);
      const at::Tensor values = vc.narrow(2, 0, b.keys);
      const at::Tensor cols = table.narrow(1, b.start, b.width);
      const at::Tensor dob = dout.narrow(2, b.i0, b.rows);             // [B, H, rows, dk]
      const at::Tensor dpd = at::matmul(dob, values.transpose(2, 3));  // [B, H, rows, keys]
      at::Tensor ds, de, pd;
      softmax_backward_rows(p, keep, scale, dpd, b, ds, de, pd);
      dv.narrow(2, 0, b.keys).add_(at::matmul(pd.transpose(2, 3), dob));
      at::Tensor dqb = at::matmul(ds, keys);
      dk.narrow(2, 0, b.keys).add_(at::matmul(ds.transpose(2, 3), qb));
      dqb.add_(at::matmul(de, cols));
      dtable.narrow(1, b.start, b.width).add_(at::matmul(de.transpose(2, 3), qb).sum(0));
      dq.narrow(2, b.i0, b.rows).copy_(dqb);
    }
    const at::Tensor& k_in = kc;  // k and v were cast to q's dtype; the engine casts grads back to the inputs' dtypes
    return {dq,
            dk.to(k_in.scalar_type()),
            dv.to(vc.scalar_type()),
            table_to_rel(dtable, rel, L, causal),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor()};
  }
};

}  // namespace

at::Tensor fused_relative_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& rel, const at::Tensor& mask, bool causal, double dropout,
                                    bool training, int64_t block) {
  ACC_CHECK(q.dim() == 4 && k.sizes() == q.sizes() && v.sizes() == q.sizes(), "fused attention",
            "q, k and v must be [B, H, L, dk] of one shape");
  ACC_CHECK(rel.dim() == 3 && rel.size(0) == q.size(1) && rel.size(2) == q.size(3), "fused attention",
            "rel must be [H, rows, dk]");
  ACC_CHECK(block >= 1, "fused attention", "block must be positive");
  ACC_CHECK(!mask.defined() || (mask.dim() == 4 && mask.scalar_type() == at::kBool), "fused attention",
            "mask must be a 4-d bool tensor");
  // autograd functions take defined tensors only: no mask is an empty one.
  const at::Tensor m = mask.defined() ? mask : at::empty({0}, q.options().dtype(at::kBool));
  return FusedRelativeAttention::apply(q, k, v, rel, m, causal, dropout, training, block)[0];
}

FusedAttention parse_fused_attention(const std::string& text) {
  if (text == "auto") return FusedAttention::kAuto;
  if (text == "on") return FusedAttention::kOn;
  if (text == "off") return FusedAttention::kOff;
  throw Error("fused attention", "'" + text + "' is not auto, on or off");
}

const char* fused_attention_name(FusedAttention mode) {
  switch (mode) {
    case FusedAttention::kAuto:
      return "auto";
    case FusedAttention::kOn:
      return "on";
    case FusedAttention::kOff:
      return "off";
  }
  return "auto";
}

FusedAttention default_fused_attention() {
  const std::optional<std::string> env = util::env_value("ACCOMPANIST_FUSED_ATTENTION");
  return env ? parse_fused_attention(*env) : FusedAttention::kAuto;
}

bool use_fused_attention(FusedAttention mode, const at::Tensor& q) {
  // auto: CPU tensors, fp32 and bf16 alike. Since its row passes are
  // vectorised (attention_rows.h) the fused path is also the faster one in
  // bf16: 0.506 against 0.583 s per Table 1 step at L 512 x 2 (AMD EPYC with
  // AVX512-BF16, one thread). Before, they converted bf16 element by element
  // and the composite path was faster in bf16 (0.75 vs 0.87 CPU s on a Xeon).
  // The layer input is fp32 under autocast either way, so the rule is by device.
  return mode == FusedAttention::kOn || (mode == FusedAttention::kAuto && q.device().is_cpu());
}

}  // namespace acc::model
