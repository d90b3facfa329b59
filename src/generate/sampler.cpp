#include "accompanist/generate/sampler.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "accompanist/util/error.h"
#include "accompanist/util/splitmix64.h"

namespace acc::generate {

void SamplingOptions::validate() const {
  ACC_CHECK(std::isfinite(temperature) && temperature >= 0.0, "sampling",
            fmt::format("temperature must be >= 0 (0 = greedy), got {}", temperature));
  ACC_CHECK(top_k >= 0, "sampling", fmt::format("top-k must be >= 0 (0 = off), got {}", top_k));
  ACC_CHECK(std::isfinite(top_p) && top_p > 0.0 && top_p <= 1.0, "sampling",
            fmt::format("top-p must be in (0, 1] (1 = off), got {}", top_p));
  ACC_CHECK(std::isfinite(typical_p) && typical_p > 0.0 && typical_p <= 1.0, "sampling",
            fmt::format("typical-p must be in (0, 1] (1 = off), got {}", typical_p));
}

std::string SamplingOptions::describe() const {
  if (greedy()) return "greedy";
  std::string s = fmt::format("temperature {}", temperature);
  if (top_k > 0) s += fmt::format(", top-k {}", top_k);
  if (top_p < 1.0) s += fmt::format(", top-p {}", top_p);
  if (typical_p < 1.0) s += fmt::format(", typical-p {}", typical_p);
  return s;
}

uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  // splitmix64 of the pair, twice: nearby seeds and streams give unrelated states.
  const uint64_t z = seed * util::kSplitmix64Gamma + stream + 0x632BE59BD9B4E019ULL;
  return util::splitmix64(util::splitmix64(z));
}

Sampler::Sampler(SamplingOptions options, uint64_t seed) : options_(options), rng_(seed) {
  options_.validate();
}

double Sampler::uniform() {
  return double(rng_() >> 11) * 0x1.0p-53;
}

std::vector<double> Sampler::distribution(const float* logits, size_t vocab, const uint8_t* mask) const {
  std::vector<double>& p = probs_;
  p.assign(vocab, 0.0);
  // Allowed ids with a finite logit; NaN means a broken model, not a choice.
  std::vector<int32_t>& ids = order_;
  ids.clear();
  for (size_t i = 0; i < vocab; ++i) {
    if (mask && !mask[i]) continue;
    ACC_CHECK(!std::isnan(logits[i]), "sampling", fmt::format("logit of id {} is NaN", i));
    if (logits[i] == -std::numeric_limits<float>::infinity()) continue;
    ids.push_back(int32_t(i));
  }
  ACC_CHECK(!ids.empty(), "sampling", "no token id is allowed (mask or logits rule out every id)");
  // Most likely first, ties to the smaller id (ids are ascending, the sort is stable).
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  if (options_.greedy()) {
    p[size_t(ids.front())] = 1.0;
    return p;
  }
  const double max_logit = logits[ids.front()];
  double total = 0;
  for (int32_t id : ids) {
    const double x = std::exp((double(logits[id]) - max_logit) / options_.temperature);
    p[size_t(id)] = x;
    total += x;
  }
  size_t kept = ids.size();
  auto renormalise = [&]() {
    total = 0;
    for (size_t i = 0; i < kept; ++i) total += p[size_t(ids[i])];
  };
  auto drop_after = [&](size_t n) {
    for (size_t i = n; i < kept; ++i) p[size_t(ids[i])] = 0.0;
    kept = n;
    renormalise();
  };
  if (options_.top_k > 0 && size_t(options_.top_k) < kept) drop_after(size_t(options_.top_k));
  if (options_.top_p < 1.0) {
    // The smallest prefix (most likely first) whose mass reaches top_p.
    double cumulative = 0;
    size_t n = 0;
    while (n < kept) {
      cumulative += p[size_t(ids[n])] / total;
      ++n;
      if (cumulative >= options_.top_p - 1e-12) break;
    }
    drop_after(n);
  }
  if (options_.typical_p < 1.0 && kept > 1) {
    // Ids whose surprisal is closest to the entropy, until typical_p of the mass.
    double entropy = 0;
    for (size_t i = 0; i < kept; ++i) {
      const double q = p[size_t(ids[i])] / total;
      if (q > 0) entropy -= q * std::log(q);
    }
    std::vector<std::pair<double, int32_t>> scored(kept);
    for (size_t i = 0; i < kept; ++i) {
      const double q = p[size_t(ids[i])] / total;
      scored[i] = {q > 0 ? std::abs(-std::log(q) - entropy) : std::numeric_limits<double>::infinity(), ids[i]};
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    double cumulative = 0;
    size_t n = 0;
    while (n < kept) {
      cumulative += p[size_t(scored[n].second)] / total;
      ++n;
      if (cumulative >= options_.typical_p - 1e-12) break;
    }
    for (size_t i = 0; i < kept; ++i) ids[i] = scored[i].second;
    drop_after(n);
  }
  for (double& x : p) x /= total;
  return p;
}

int64_t Sampler::sample(const float* logits, size_t vocab, const uint8_t* mask) {
  const std::vector<double> p = distribution(logits, vocab, mask);
  if (options_.greedy()) return std::max_element(p.begin(), p.end()) - p.begin();
  const double u = uniform();
  double cumulative = 0;
  int64_t last = -1;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0) continue;
    cumulative += p[i];
    last = int64_t(i);
    if (u < cumulative) return last;
  }
  return last;  // rounding left u just above the total
}

std::vector<int64_t> Sampler::sample(const at::Tensor& logits, const std::vector<const uint8_t*>& masks) {
  ACC_CHECK(logits.dim() == 2, "sampling", "logits must be [B, V]");
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  ACC_CHECK(masks.empty() || int64_t(masks.size()) == rows, "sampling",
            fmt::format("{} masks for {} rows", masks.size(), rows));
  at::Tensor host = logits.detach().to(at::kCPU, at::kFloat).contiguous();  // [B, V]
  const float* data = host.data_ptr<float>();
  std::vector<int64_t> out(static_cast<size_t>(rows), 0);
  for (int64_t r = 0; r < rows; ++r)
    out[size_t(r)] = sample(data + r * vocab, size_t(vocab), masks.empty() ? nullptr : masks[size_t(r)]);
  return out;
}

}  // namespace acc::generate
