// The tokenizer as saved and shared (SPEC sections 4 and 9): REMI plus a list
// of BPE merges, stored as JSON
//   {"format": "accompanist-tokenizer", "version": 1, "base": "remi-miditok-2.1",
//    "vocab_size": V, "merges": [[a, b], ...]}
// where merge i creates id 197 + i.
#pragma once

#include <string>
#include <vector>

#include "accompanist/midi/song.h"
#include "accompanist/tokenizer/bpe.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/vocabulary.h"

namespace acc::tokenizer {

constexpr const char* kTokenizerFormat = "accompanist-tokenizer";
constexpr int kTokenizerVersion = 1;
constexpr const char* kTokenizerBase = "remi-miditok-2.1";

class Tokenizer {
 public:
  Tokenizer() = default;  // plain REMI: 197 ids, no merges
  explicit Tokenizer(Bpe bpe) : bpe_(std::move(bpe)) {}

  // Learns BPE merges on base REMI sequences (see train_bpe).
  static Tokenizer train(const std::vector<TokenSeq>& base_sequences, const BpeTrainOptions& options);

  // Parses and validates the JSON; errors are acc::Error(what, reason) for a
  // wrong format, base or version, malformed or unknown keys, merges that use
  // special tokens, unknown or later ids or repeat a pair, and a vocab_size
  // that is not 197 + the number of merges.
  static Tokenizer from_json(const std::string& text, const std::string& what = "<tokenizer>");
  static Tokenizer load(const std::string& path);

  // The canonical file bytes: compact JSON, keys in the order above, one
  // trailing newline. save() writes exactly these (atomically).
  std::string to_json() const;
  void save(const std::string& path) const;
  // Lower-case hex sha256 of to_json(): identifies the tokenizer in corpora
  // and checkpoints whatever formatting a loaded file had.
  std::string sha256() const;

  size_t vocab_size() const { return bpe_.vocab_size(); }
  const Bpe& bpe() const { return bpe_; }
  // Token name: base names, or the base names of a BPE id's expansion joined
  // by "+" ("Pitch_60+Velocity_95").
  std::string token_name(TokenId id) const;
  // Bar tokens in each id's base expansion (vocab_size() entries): the
  // model's musical time (acc::model::bar_indices) is counted with it.
  std::vector<int32_t> bar_counts() const;

  // Notes at ticks_per_quarter -> REMI -> BPE ids. Throws for tpq < 32.
  TokenSeq encode(const std::vector<midi::Note>& notes, int ticks_per_quarter) const;
  // Base ids -> BPE ids, and back.
  TokenSeq apply_bpe(const TokenSeq& base_ids) const { return bpe_.encode(base_ids); }
  TokenSeq decode_bpe(const TokenSeq& ids) const { return bpe_.decode(ids); }

  // BPE ids -> notes at tpq 384; errors are counted on the base ids, the rate
  // is per given (BPE) token, as MidiTok's tokens_errors.
  DecodeResult decode(const TokenSeq& ids) const;

 private:
  Bpe bpe_;
};

}  // namespace acc::tokenizer
