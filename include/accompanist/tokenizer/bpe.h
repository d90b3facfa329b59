// Byte-pair encoding over REMI ids (SPEC section 4), as MidiTok 2.x does with
// Hugging Face merges, but with the base ids 0..196 fixed: merge i joins the
// pair (a, b) into the new id 197 + i.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "accompanist/tokenizer/vocabulary.h"

namespace acc::tokenizer {

using Merge = std::pair<TokenId, TokenId>;

// A list of merges with fast encoding (Hugging Face's word merging: candidate
// pairs taken in (rank, position) order over a linked list of symbols; since
// ranks only go up, per-rank lists replace the heap, so encoding is linear in
// the sequence plus the number of ranks / 64) and decoding. Immutable and
// thread-safe (scratch buffers are per thread).
class Bpe {
 public:
  Bpe();  // no merges: encoding is the identity
  // Throws acc::Error when a merge uses a special token (0..3), an id that is
  // not defined before it, or repeats an earlier pair.
  explicit Bpe(std::vector<Merge> merges);
  ~Bpe();
  Bpe(const Bpe&);
  Bpe& operator=(const Bpe&);
  Bpe(Bpe&&) noexcept;
  Bpe& operator=(Bpe&&) noexcept;

  size_t vocab_size() const { return size_t(kBaseVocabSize) + merges_.size(); }
  const std::vector<Merge>& merges() const { return merges_; }

  // Base ids -> BPE ids: merges by rank, lowest first, the leftmost
  // occurrence first. Throws acc::Error for ids outside the base vocabulary.
  TokenSeq encode(const TokenSeq& base_ids) const;
  void encode(const TokenId* base_ids, size_t n, TokenSeq& out) const;

  // BPE ids -> base ids (concatenated expansions). Throws acc::Error for ids
  // outside the vocabulary.
  TokenSeq decode(const TokenSeq& ids) const;
  void decode(const TokenId* ids, size_t n, TokenSeq& out) const;

  // The base ids an id stands for (itself for a base id).
  const TokenId* expansion(TokenId id, size_t* length) const;
  TokenSeq expansion(TokenId id) const;

  // Rank of the merge of (a, b), or -1.
  int32_t rank(TokenId a, TokenId b) const;

 private:
  void build();

  std::vector<Merge> merges_;
  // expansion of id i: expansion_data_[expansion_offsets_[i] .. [i+1]).
  std::vector<TokenId> expansion_data_;
  std::vector<uint32_t> expansion_offsets_;
  struct RankTable;  // (a, b) -> rank, a small open-addressing hash table
  std::unique_ptr<RankTable> ranks_;
};

struct BpeTrainOptions {
  size_t vocab_size = 500;  // base ids included; at most 65535 (uint16 corpus)
  // false: no merge makes a token that holds a Bar followed by a Pitch (such
  // as Bar+Position_0+Pitch_36), so the first note of every bar is sampled
  // after its Bar, by a decoder position that is already in that bar (bar
  // alignment and chord conditioning see the right bar). true: MidiTok's BPE.
  bool merge_bar_with_notes = true;
  // Called after each merge with (merges done, merges wanted).
  std::function<void(size_t, size_t)> progress;
};

// Learns merges on whole sequences, each one word counted once (SPEC section
// 4): every adjacent pair counts, overlapping ones too; the most frequent pair
// (ties to the smaller (a, b)) is merged left to right without overlap in
// every sequence; pairs with special tokens are never counted. Stops at
// vocab_size or when no pair occurs. Pair counts are updated incrementally
// from the positions of each pair, so a merge costs its occurrences.
std::vector<Merge> train_bpe(const std::vector<TokenSeq>& sequences, const BpeTrainOptions& options);
// The same over sequences concatenated in tokens, sequence i being
// tokens[offsets[i] .. offsets[i+1]) (the corpus layout).
std::vector<Merge> train_bpe(const TokenId* tokens, const uint64_t* offsets, size_t num_sequences,
                             const BpeTrainOptions& options);

}  // namespace acc::tokenizer
