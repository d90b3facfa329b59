// Choosing the next token from logits (SPEC section 7, thesis 3.4): greedy,
// temperature, top-k, top-p (nucleus) and typical sampling, with an optional
// mask of allowed ids per row. Each Sampler owns a seeded std::mt19937_64,
// independent of LibTorch's global generator, so a run is reproducible from
// its seed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace acc::generate {

struct SamplingOptions {
  // 0 = greedy (argmax); otherwise logits are divided by it before softmax.
  double temperature = 1.0;
  int64_t top_k = 0;       // keep the k most likely ids; 0 = off
  double top_p = 1.0;      // keep the smallest most-likely set with this mass; 1 = off
  double typical_p = 1.0;  // locally typical sampling (Meister et al. 2022); 1 = off
  bool greedy() const { return temperature <= 0.0; }

  // Throws acc::Error("sampling", why) for values out of range.
  void validate() const;
  // "top-k 3, temperature 1" and so on, for logs.
  std::string describe() const;
};

// Derives independent seeds from (run seed, stream index) (splitmix64), so
// each sample has its own stream whatever the batch it runs in.
uint64_t derive_seed(uint64_t seed, uint64_t stream);

class Sampler {
 public:
  Sampler(SamplingOptions options, uint64_t seed);

  // One row: logits[0..vocab), mask nullptr (all allowed) or vocab bytes with
  // 1 = allowed. Filters apply in the order temperature, top-k, top-p,
  // typical, each renormalising over the ids left. Throws acc::Error when the
  // mask allows no id. Ties (equal logits) go to the smaller id.
  int64_t sample(const float* logits, size_t vocab, const uint8_t* mask = nullptr);

  // logits [B, V] (any float type or device); masks empty or B entries. Rows
  // are drawn in order from this sampler's one stream.
  std::vector<int64_t> sample(const at::Tensor& logits, const std::vector<const uint8_t*>& masks = {});

  // The distribution sample() draws from (after masking and every filter);
  // for tests and for inspecting settings.
  std::vector<double> distribution(const float* logits, size_t vocab, const uint8_t* mask = nullptr) const;

  const SamplingOptions& options() const { return options_; }
  std::mt19937_64& engine() { return rng_; }

 private:
  // A uniform double in [0, 1) from 53 random bits (the same on every platform).
  double uniform();

  SamplingOptions options_;
  std::mt19937_64 rng_;
  mutable std::vector<double> probs_;
  mutable std::vector<int32_t> order_;
};

}  // namespace acc::generate
