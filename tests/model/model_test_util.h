// Shared helpers for the model tests: tiny configs, random token pairs and
// scratch directories.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "accompanist/model/config.h"
#include "accompanist/model/score.h"

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
    pairs.push_back({random_tokens(rng, src_lens[i], c.vocab_size), random_tokens(rng, tgt_lens[i], c.vocab_size)});
  return pairs;
}

// A fresh directory under the system temp dir, removed at the end.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    path_ = (std::filesystem::temp_directory_path() /
             ("acc-model-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string path_;
};

}  // namespace acc::model::testing
