#include "attention_rows.h"

#include <limits>

#include "accompanist/util/splitmix64.h"

// GCC on x86-64: one clone per vector width, chosen when the library loads.
// The file is compiled with -O3 -fopenmp-simd (src/model/CMakeLists.txt) so
// that the loops vectorise; `omp simd reduction` lets the row sum reassociate.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ACC_ROW_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ACC_ROW_CLONES
#endif
#define ACC_ALWAYS_INLINE inline __attribute__((always_inline))

namespace acc::model::rows {
namespace {

// Storage <-> compute conversions; bf16 as c10::BFloat16 does them.
ACC_ALWAYS_INLINE float load(float x) {
  return x;
}
ACC_ALWAYS_INLINE double load(double x) {
  return x;
}
ACC_ALWAYS_INLINE float load(bf16_bits x) {
  return __builtin_bit_cast(float, uint32_t(x) << 16);
}

template <class T>
struct Store;
template <>
struct Store<float> {
  static ACC_ALWAYS_INLINE float to(float x) { return x; }
};
template <>
struct Store<double> {
  static ACC_ALWAYS_INLINE double to(double x) { return x; }
};
template <>
struct Store<bf16_bits> {
  // c10::detail::round_to_nearest_even, branch-free so that it vectorises.
  static ACC_ALWAYS_INLINE bf16_bits to(float f) {
    const uint32_t bits = __builtin_bit_cast(uint32_t, f);
    const uint32_t rounded = (bits + ((bits >> 16) & 1u) + 0x7fffu) >> 16;
    return f != f ? bf16_bits(0x7fc0) : bf16_bits(rounded);
  }
};

template <class T, class M>
ACC_ALWAYS_INLINE void logits_impl(const T* s, const T* e, const bool* mask, int64_t visible, int64_t n, M* out) {
  constexpr M kMinusInf = -std::numeric_limits<M>::infinity();
  if (mask) {
    // Bytes, not bools, and unconditional loads: GCC vectorises the select then.
    const uint8_t* m = reinterpret_cast<const uint8_t*>(mask);
#pragma omp simd
    for (int64_t j = 0; j < visible; ++j) {
      const M v = load(s[j]) + load(e[j]);
      out[j] = m[j] != 0 ? kMinusInf : v;
    }
  } else {
#pragma omp simd
    for (int64_t j = 0; j < visible; ++j) out[j] = load(s[j]) + load(e[j]);
  }
  for (int64_t j = visible; j < n; ++j) out[j] = kMinusInf;
}

template <class M, class T>
ACC_ALWAYS_INLINE void dropout_impl(const M* pm, uint64_t seed, uint64_t first, uint32_t threshold, M scale, int64_t n,
                                    bool* keep, T* p, T* pd) {
  const uint64_t base = seed + first;
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const bool kept = uint32_t(util::splitmix64(base + uint64_t(j)) & 0xffffu) >= threshold;
    keep[j] = kept;
    pd[j] = Store<T>::to(pm[j] * (kept ? scale : M(0)));
  }
  if (p) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) p[j] = Store<T>::to(pm[j]);
  }
}

template <class M, class T>
ACC_ALWAYS_INLINE void softmax_backward_impl(const T* p, const T* g, const bool* keep, M scale, int64_t n, int64_t left,
                                             int64_t width, T* ds, T* de, T* pd) {
  M dot = 0;
  const T zero = Store<T>::to(M(0));
  if (keep) {
    // dp = g * (kept ? scale : 0): a select of constants on bytes, no branch, so that the loops vectorise.
    const uint8_t* k = reinterpret_cast<const uint8_t*>(keep);
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < n; ++j) dot += M(load(g[j])) * (k[j] != 0 ? scale : M(0)) * M(load(p[j]));
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) {
      const M pj = load(p[j]), factor = k[j] != 0 ? scale : M(0);
      const T v = Store<T>::to(pj * (M(load(g[j])) * factor - dot));
      ds[j] = v;
      de[left + j] = v;
      pd[j] = Store<T>::to(pj * factor);
    }
  } else {
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < n; ++j) dot += M(load(g[j])) * M(load(p[j]));
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) {
      const T v = Store<T>::to(M(load(p[j])) * (M(load(g[j])) - dot));
      ds[j] = v;
      de[left + j] = v;
    }
  }
  for (int64_t c = 0; c < left; ++c) de[c] = zero;
  for (int64_t c = left + n; c < width; ++c) de[c] = zero;
}

}  // namespace

ACC_ROW_CLONES void logits(const float* s, const float* e, const bool* mask, int64_t visible, int64_t n, float* out) {
  logits_impl(s, e, mask, visible, n, out);
}
ACC_ROW_CLONES void logits(const bf16_bits* s, const bf16_bits* e, const bool* mask, int64_t visible, int64_t n,
                           float* out) {
  logits_impl(s, e, mask, visible, n, out);
}
void logits(const double* s, const double* e, const bool* mask, int64_t visible, int64_t n, double* out) {
  logits_impl(s, e, mask, visible, n, out);
}

ACC_ROW_CLONES void dropout(const float* pm, uint64_t seed, uint64_t first, uint32_t threshold, float scale, int64_t n,
                            bool* keep, float* p, float* pd) {
  dropout_impl(pm, seed, first, threshold, scale, n, keep, p, pd);
}
ACC_ROW_CLONES void dropout(const float* pm, uint64_t seed, uint64_t first, uint32_t threshold, float scale, int64_t n,
                            bool* keep, bf16_bits* p, bf16_bits* pd) {
  dropout_impl(pm, seed, first, threshold, scale, n, keep, p, pd);
}
void dropout(const double* pm, uint64_t seed, uint64_t first, uint32_t threshold, double scale, int64_t n, bool* keep,
             double* p, double* pd) {
  dropout_impl(pm, seed, first, threshold, scale, n, keep, p, pd);
}

ACC_ROW_CLONES void softmax_backward(const float* p, const float* g, const bool* keep, float scale, int64_t n,
                                     int64_t left, int64_t width, float* ds, float* de, float* pd) {
  softmax_backward_impl<float>(p, g, keep, scale, n, left, width, ds, de, pd);
}
ACC_ROW_CLONES void softmax_backward(const bf16_bits* p, const bf16_bits* g, const bool* keep, float scale, int64_t n,
                                     int64_t left, int64_t width, bf16_bits* ds, bf16_bits* de, bf16_bits* pd) {
  softmax_backward_impl<float>(p, g, keep, scale, n, left, width, ds, de, pd);
}
void softmax_backward(const double* p, const double* g, const bool* keep, double scale, int64_t n, int64_t left,
                      int64_t width, double* ds, double* de, double* pd) {
  softmax_backward_impl<double>(p, g, keep, scale, n, left, width, ds, de, pd);
}

}  // namespace acc::model::rows
