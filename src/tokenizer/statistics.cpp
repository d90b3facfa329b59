#include "accompanist/tokenizer/statistics.h"

#include <nlohmann/json.hpp>

#include "accompanist/util/error.h"

namespace acc::tokenizer {

TokenStatistics::TokenStatistics(const Bpe& bpe)
    : bpe_(&bpe), base_counts_(size_t(kBaseVocabSize), 0), bpe_counts_(bpe.vocab_size(), 0) {}

void TokenStatistics::add_bpe_sequence(const TokenSeq& ids) {
  bpe_->decode(ids.data(), ids.size(), scratch_);  // throws on unknown ids before counting anything
  for (TokenId id : ids) ++bpe_counts_[size_t(id)];
  for (TokenId id : scratch_) ++base_counts_[size_t(id)];
  bpe_tokens_ += ids.size();
  base_tokens_ += scratch_.size();
  ++sequences_;
}

void TokenStatistics::add_base_sequence(const TokenSeq& base_ids) {
  bpe_->encode(base_ids.data(), base_ids.size(), scratch_);
  for (TokenId id : base_ids) ++base_counts_[size_t(id)];
  for (TokenId id : scratch_) ++bpe_counts_[size_t(id)];
  base_tokens_ += base_ids.size();
  bpe_tokens_ += scratch_.size();
  ++sequences_;
}

void TokenStatistics::merge(const TokenStatistics& other) {
  if (other.bpe_counts_.size() != bpe_counts_.size()) {
    throw Error("token statistics", "cannot add histograms over vocabularies of " +
                                        std::to_string(other.bpe_counts_.size()) + " and " +
                                        std::to_string(bpe_counts_.size()) + " ids");
  }
  for (size_t i = 0; i < base_counts_.size(); ++i) base_counts_[i] += other.base_counts_[i];
  for (size_t i = 0; i < bpe_counts_.size(); ++i) bpe_counts_[i] += other.bpe_counts_[i];
  sequences_ += other.sequences_;
  base_tokens_ += other.base_tokens_;
  bpe_tokens_ += other.bpe_tokens_;
}

std::vector<uint64_t> TokenStatistics::base_type_counts() const {
  std::vector<uint64_t> out(size_t(TokenType::Invalid) + 1, 0);
  for (TokenId id = 0; id < kBaseVocabSize; ++id) out[size_t(Vocabulary::type(id))] += base_counts_[size_t(id)];
  return out;
}

size_t TokenStatistics::bpe_ids_used() const {
  size_t used = 0;
  for (size_t id = size_t(kBaseVocabSize); id < bpe_counts_.size(); ++id) used += bpe_counts_[id] > 0;
  return used;
}

std::string TokenStatistics::to_json() const {
  static const char* kTypeNames[] = {"PAD", "BOS", "EOS", "MASK", "Bar", "Pitch", "Velocity", "Duration", "Position"};
  nlohmann::ordered_json j;
  j["sequences"] = sequences_;
  j["base_tokens"] = base_tokens_;
  j["bpe_tokens"] = bpe_tokens_;
  j["compression"] = compression();
  j["bpe_ids_used"] = bpe_ids_used();
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  std::vector<uint64_t> by_type = base_type_counts();
  for (size_t t = 0; t < sizeof(kTypeNames) / sizeof(kTypeNames[0]); ++t) types[kTypeNames[t]] = by_type[t];
  j["base_type_counts"] = std::move(types);
  j["base_counts"] = base_counts_;
  j["bpe_counts"] = bpe_counts_;
  return j.dump();
}

}  // namespace acc::tokenizer
