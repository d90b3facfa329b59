// Token histograms before and after BPE over a set of sequences (SPEC section
// 8, thesis Fig. 10-11), for prep reports and evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/tokenizer/bpe.h"
#include "accompanist/tokenizer/vocabulary.h"

namespace acc::tokenizer {

class TokenStatistics {
 public:
  // bpe must outlive the statistics.
  explicit TokenStatistics(const Bpe& bpe);

  // A sequence of BPE ids (expanded to count the base ids), or of base ids
  // (BPE-encoded to count the BPE ids). Throws acc::Error on unknown ids.
  void add_bpe_sequence(const TokenSeq& ids);
  void add_base_sequence(const TokenSeq& base_ids);
  // Adds another histogram over the same vocabulary (per-thread partials).
  void merge(const TokenStatistics& other);

  const std::vector<uint64_t>& base_counts() const { return base_counts_; }  // 197 ids
  const std::vector<uint64_t>& bpe_counts() const { return bpe_counts_; }    // vocab_size ids
  uint64_t sequences() const { return sequences_; }
  uint64_t base_tokens() const { return base_tokens_; }
  uint64_t bpe_tokens() const { return bpe_tokens_; }
  // Base tokens per BPE token (1 without merges; about 2 for REMI with 500 ids).
  double compression() const { return bpe_tokens_ ? double(base_tokens_) / double(bpe_tokens_) : 0.0; }
  // Base tokens per type, indexed by TokenType.
  std::vector<uint64_t> base_type_counts() const;
  // Ids past 197 that occur at least once.
  size_t bpe_ids_used() const;

  // {"sequences", "base_tokens", "bpe_tokens", "compression", "bpe_ids_used",
  //  "base_counts": [...], "bpe_counts": [...], "base_type_counts": {"Pitch": n, ...}}
  std::string to_json() const;

 private:
  const Bpe* bpe_;
  std::vector<uint64_t> base_counts_;
  std::vector<uint64_t> bpe_counts_;
  uint64_t sequences_ = 0;
  uint64_t base_tokens_ = 0;
  uint64_t bpe_tokens_ = 0;
  TokenSeq scratch_;
};

}  // namespace acc::tokenizer
