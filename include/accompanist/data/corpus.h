// Reading the HDF5 token-pair corpus (SPEC section 9):
//   root attributes format="accompanist-corpus", version=1, tokenizer (JSON),
//   tokenizer_sha256, direction, config (prep config YAML);
//   /train, /valid, /test: source_tokens, target_tokens (uint16),
//   source_offsets, target_offsets (uint64, n+1), song, window (uint32);
//   /songs: variable-length UTF-8 paths.
// open() validates the header and every split's offsets; a split's tokens are
// read into memory (one H5Dread per array) on first use and checked against
// the vocabulary. Every violation is an acc::Error("<path>", reason).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace acc::data {

// A view of one token sequence inside a loaded split.
struct TokenSpan {
  const uint16_t* data = nullptr;
  size_t size = 0;
  const uint16_t* begin() const { return data; }
  const uint16_t* end() const { return data + size; }
  uint16_t operator[](size_t i) const { return data[i]; }
  bool empty() const { return size == 0; }
  std::vector<int> to_ids() const { return std::vector<int>(begin(), end()); }
};

// The names of the three splits, in file order.
const std::vector<std::string>& split_names();

// One split, fully in memory. O(1) access to pair i.
class CorpusSplit {
 public:
  const std::string& name() const { return name_; }
  size_t size() const { return song_.size(); }
  bool empty() const { return song_.empty(); }
  TokenSpan source(size_t i) const;
  TokenSpan target(size_t i) const;
  uint32_t song(size_t i) const { return song_.at(i); }
  uint32_t window(size_t i) const { return window_.at(i); }
  size_t total_source_tokens() const { return source_tokens_.size(); }
  size_t total_target_tokens() const { return target_tokens_.size(); }
  size_t max_source_length() const;
  size_t max_target_length() const;

 private:
  friend class Corpus;
  std::string name_;
  std::vector<uint16_t> source_tokens_, target_tokens_;
  std::vector<uint64_t> source_offsets_, target_offsets_;
  std::vector<uint32_t> song_, window_;
};

class Corpus {
 public:
  // Opens read-only (no file locking) and validates; see the file comment.
  static Corpus open(const std::string& path);

  Corpus(Corpus&&) noexcept;
  Corpus& operator=(Corpus&&) noexcept;
  ~Corpus();

  // "train", "valid" or "test"; loaded on first use (thread-safe).
  const CorpusSplit& split(const std::string& name) const;

  const std::string& tokenizer_json() const;
  const std::string& tokenizer_sha256() const;
  const std::string& direction() const;  // "piano->bass" or "bass->piano"
  const std::string& prep_config_yaml() const;
  const std::vector<std::string>& songs() const;
  int vocab_size() const;  // from the tokenizer JSON
  const std::string& path() const;

 private:
  struct Impl;
  explicit Corpus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace acc::data
