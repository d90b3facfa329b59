// Shared helpers for the model tests: tiny configs, random token pairs and
// scratch directories.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "accompanist/model/config.h"
#include "accompanist/model/score.h"
#include "accompanist/util/hdf5.h"
#include "common/scratch_dir.h"

namespace acc::model::testing {

inline ModelConfig tiny_config() {
  ModelConfig c;
  c.d_model = 16;
  c.enc_layers = 2;
  c.dec_layers = 2;
  c.heads = 2;
  c.ff = 24;
  c.dropout = 0.1;
  c.max_len = 16;
  c.max_relative_distance = 5;  // smaller than most lengths: distances past R-1 are exercised
  c.vocab_size = 23;
  return c;
}

// tiny_config with the CPU configs' conditioning: the bar window (own bar
// only) and chord conditioning on both sides.
inline ModelConfig tiny_chord_config() {
  ModelConfig c = tiny_config();
  c.bar_alignment.window = true;
  c.bar_alignment.window_after = 0;
  c.chord_conditioning.source = true;
  c.chord_conditioning.target = true;
  return c;
}

inline std::vector<int64_t> random_tokens(std::mt19937& rng, size_t n, int64_t vocab) {
  std::uniform_int_distribution<int64_t> id(3, vocab - 1);  // never PAD, BOS, EOS
  std::vector<int64_t> out(n);
  for (auto& t : out) t = id(rng);
  return out;
}

// Pairs of varied lengths (some targets longer than max_len to test truncation).
inline std::vector<TokenPair> random_pairs(std::mt19937& rng, const ModelConfig& c, const std::vector<size_t>& src_lens,
                                           const std::vector<size_t>& tgt_lens) {
  std::vector<TokenPair> pairs;
  for (size_t i = 0; i < src_lens.size(); ++i)
    pairs.push_back({random_tokens(rng, src_lens[i], c.vocab_size), random_tokens(rng, tgt_lens[i], c.vocab_size), {}});
  return pairs;
}

// Adds N(0, 0.1^2) noise to every parameter: LayerNorm weights, biases and
// zero-initialised ones (bar_bias) then all matter in a comparison.
template <class Model>
void perturb_parameters(Model& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.1);
}

using acc::testing::ScratchDir;

// Runs tests/reference/model_reference.py on the exported weights and the
// pairs of a `score --logits` file (extra_args: e.g. "--bar-counts F"), and
// returns the largest absolute logit difference over the first `pairs` pairs
// (infinity when the reference fails or a shape differs) and its mean loss.
struct ReferenceComparison {
  double max_abs_diff = INFINITY;
  double reference_mean_loss = NAN;
};

inline ReferenceComparison compare_with_python_reference(const ScratchDir& dir, const std::string& weights,
                                                         const std::string& ours, size_t pairs,
                                                         const std::string& extra_args = "") {
  namespace h5 = acc::util::h5;
  ReferenceComparison out;
  const std::string ref_path = dir.file("reference.h5");
  const std::string cmd = std::string(ACC_REFERENCE_PYTHON) + " " + ACC_SOURCE_DIR +
                          "/tests/reference/model_reference.py --weights " + weights + " --pairs " + ours + " " +
                          extra_args + " --out " + ref_path;
  if (std::system(cmd.c_str()) != 0) return out;
  auto a_root = h5::File::open_read(ours).root();
  auto b_root = h5::File::open_read(ref_path).root();
  double worst = 0.0;
  for (size_t i = 0; i < pairs; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "pair_%04zu", i);
    if (a_root.group(name).shape("logits") != b_root.group(name).shape("logits")) return out;
    auto a = a_root.group(name).read<double>("logits");
    auto b = b_root.group(name).read<double>("logits");
    for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
  }
  out.max_abs_diff = worst;
  out.reference_mean_loss = b_root.read<double>("mean_loss").at(0);
  return out;
}

// Bar tokens per id for the bar tests: ids 4 and 9 hold one Bar each, id 7
// two (a BPE token over two bar lines).
inline std::vector<int32_t> test_bar_counts(int64_t vocab) {
  std::vector<int32_t> counts(size_t(vocab), 0);
  counts[4] = 1;
  counts[9] = 1;
  counts[7] = 2;
  return counts;
}

// Integers as a JSON array (the Python reference's --bar-counts file).
inline void write_json_array(const std::string& path, const std::vector<int32_t>& values) {
  std::ofstream out(path);
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << "]\n";
}

}  // namespace acc::model::testing
