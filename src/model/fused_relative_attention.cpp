#include "fused_relative_attention.h"

#include <ATen/ATen.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "accompanist/util/error.h"

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

// S_rel of the block: entry (r, j) of e [B, H, rows, width] read at column
// j - r + rows - 1, i.e. flat r * (width - 1) + j + rows - 1: a strided view.
at::Tensor skewed(const at::Tensor& e, const Block& b) {
  const int64_t B = e.size(0), H = e.size(1);
  return e.as_strided({B, H, b.rows, b.keys}, {H * b.rows * b.width, b.rows * b.width, b.width - 1, 1},
                      e.storage_offset() + b.rows - 1);
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

// A broadcastable mask [b|1, h|1, L|1, L|1] cut to the block's rows and keys.
at::Tensor mask_block(const at::Tensor& mask, const Block& b) {
  at::Tensor m = mask;
  if (m.size(2) > 1) m = m.narrow(2, b.i0, b.rows);
  if (m.size(3) > 1) m = m.narrow(3, 0, b.keys);
  return m;
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
    const at::ScalarType ct = q.scalar_type(), acc = accumulate_type(ct);
    const int64_t B = q.size(0), H = q.size(1), L = q.size(2), dk = q.size(3);
    const at::Tensor kc = k.to(ct), vc = v.to(ct);
    const at::Tensor table = distance_table(rel, L, causal, ct);  // [H, 2L-1, dk]
    const bool drop = training && dropout > 0.0;
    at::Tensor out = at::empty({B, H, L, dk}, q.options());
    variable_list saved{q, kc, vc, rel, table};
    for (int64_t i0 = 0; i0 < L; i0 += block) {
      const Block b = block_at(i0, block, L, causal);
      const at::Tensor qb = q.narrow(2, b.i0, b.rows);                                 // [B, H, rows, dk]
      const at::Tensor keys = kc.narrow(2, 0, b.keys);                                 // [B, H, keys, dk]
      const at::Tensor cols = table.narrow(1, b.start, b.width);                       // [H, width, dk]
      const at::Tensor e = at::matmul(qb, cols.transpose(1, 2));                       // [B, H, rows, width]
      at::Tensor s = at::matmul(qb, keys.transpose(2, 3)).to(acc).add_(skewed(e, b));  // [B, H, rows, keys]
      if (mask.numel() > 0) s.masked_fill_(mask_block(mask, b), -std::numeric_limits<double>::infinity());
      if (causal)  // keys after each row inside the diagonal block
        s.masked_fill_(at::ones({b.rows, b.keys}, q.options().dtype(at::kBool)).triu(b.i0 + 1),
                       -std::numeric_limits<double>::infinity());
      at::Tensor p = s.softmax(-1);  // [B, H, rows, keys]
      at::Tensor keep;
      at::Tensor pd = p;
      if (drop) {
        keep = at::empty_like(p).bernoulli_(1.0 - dropout).to(at::kBool);
        pd = p.masked_fill(keep.logical_not(), 0.0).mul_(1.0 / (1.0 - dropout));
      }
      out.narrow(2, b.i0, b.rows).copy_(at::matmul(pd.to(ct), vc.narrow(2, 0, b.keys)));
      saved.push_back(p.to(ct));
      saved.push_back(keep);
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["causal"] = causal;
    ctx->saved_data["dropout"] = drop ? dropout : 0.0;
    ctx->saved_data["block"] = block;
    return {out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &q = saved[0], &kc = saved[1], &vc = saved[2], &rel = saved[3], &table = saved[4];
    const bool causal = ctx->saved_data["causal"].toBool();
    const double dropout = ctx->saved_data["dropout"].toDouble();
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
      const at::Tensor dob = dout.narrow(2, b.i0, b.rows);  // [B, H, rows, dk]
      at::Tensor pd = p;
      if (keep.defined()) pd = p.masked_fill(keep.logical_not(), 0.0).mul_(1.0 / (1.0 - dropout));
      dv.narrow(2, 0, b.keys).add_(at::matmul(pd.transpose(2, 3), dob));
      at::Tensor dp = at::matmul(dob, values.transpose(2, 3)).to(acc);  // [B, H, rows, keys]
      if (keep.defined()) dp.masked_fill_(keep.logical_not(), 0.0).mul_(1.0 / (1.0 - dropout));
      const at::Tensor pf = p.to(acc);
      // Softmax backward; masked entries have p = 0 and get 0.
      const at::Tensor ds = (pf * (dp - (dp * pf).sum(-1, true))).to(ct);
      at::Tensor dqb = at::matmul(ds, keys);
      dk.narrow(2, 0, b.keys).add_(at::matmul(ds.transpose(2, 3), qb));
      at::Tensor de = at::zeros({q.size(0), q.size(1), b.rows, b.width}, q.options());
      skewed(de, b).copy_(ds);
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

int mode_from_text(const char* text) {
  if (std::strcmp(text, "auto") == 0) return 0;
  if (std::strcmp(text, "on") == 0) return 1;
  if (std::strcmp(text, "off") == 0) return 2;
  throw Error("fused attention", std::string("'") + text + "' is not auto, on or off");
}

std::atomic<int>& mode() {
  static std::atomic<int> m{[] {
    const char* env = std::getenv("ACCOMPANIST_FUSED_ATTENTION");
    return env && *env ? mode_from_text(env) : 0;
  }()};
  return m;
}

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

void set_fused_attention_mode(const char* text) {
  mode().store(mode_from_text(text));
}

const char* fused_attention_mode() {
  static const char* names[] = {"auto", "on", "off"};
  return names[mode().load()];
}

bool use_fused_attention(const at::Tensor& q) {
  const int m = mode().load();
  return m == 1 || (m == 0 && q.device().is_cpu());
}

}  // namespace acc::model
