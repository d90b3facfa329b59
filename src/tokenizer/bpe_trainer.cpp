// BPE training with incremental pair counts. The corpus is one array of
// symbols linked inside each sequence; every pair keeps the positions where it
// was formed (some go stale and are checked when used), so merging a pair
// visits only its own occurrences, as in Hugging Face's trainer but without
// rescanning whole words.
#include <algorithm>
#include <cassert>
#include <deque>
#include <queue>
#include <string>
#include <unordered_map>

#include "accompanist/tokenizer/bpe.h"
#include "accompanist/util/error.h"

namespace acc::tokenizer {
namespace {

struct PairStats {
  int64_t count = 0;
  std::vector<uint32_t> positions;  // left symbol of each occurrence, increasing
  uint32_t touched = 0;             // last merge that raised the count (1-based)
};

// (a, b) -> stats slot; dense for small vocabularies.
class PairTable {
 public:
  explicit PairTable(size_t vocab) : vocab_(vocab) {
    if (vocab_ <= kDenseLimit) dense_.assign(vocab_ * vocab_, -1);
  }
  int32_t find(TokenId a, TokenId b) const {
    if (!dense_.empty()) return dense_[size_t(a) * vocab_ + size_t(b)];
    auto it = sparse_.find(key(a, b));
    return it == sparse_.end() ? -1 : it->second;
  }
  PairStats& get(TokenId a, TokenId b) {
    int32_t* slot;
    if (!dense_.empty()) {
      slot = &dense_[size_t(a) * vocab_ + size_t(b)];
    } else {
      slot = &sparse_.emplace(key(a, b), -1).first->second;
    }
    if (*slot < 0) {
      *slot = int32_t(stats_.size());
      stats_.emplace_back();
    }
    return stats_[size_t(*slot)];
  }

 private:
  static constexpr size_t kDenseLimit = 2048;
  static uint64_t key(TokenId a, TokenId b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  size_t vocab_;
  std::vector<int32_t> dense_;
  std::unordered_map<uint64_t, int32_t> sparse_;
  std::deque<PairStats> stats_;  // deque: references stay valid while it grows
};

struct Candidate {
  int64_t count;
  TokenId a, b;
};
// Most frequent first; ties to the smaller (a, b).
struct LowerPriority {
  bool operator()(const Candidate& x, const Candidate& y) const {
    if (x.count != y.count) return x.count < y.count;
    if (x.a != y.a) return x.a > y.a;
    return x.b > y.b;
  }
};

bool mergeable(TokenId id) {
  return id >= kNumSpecial;
}

// What a token's base expansion holds, for merge_bar_with_notes = false.
struct Expansion {
  bool bar = false;              // a Bar
  bool pitch = false;            // a Pitch
  bool pitch_after_bar = false;  // a Pitch after a Bar
};

Expansion base_expansion(TokenId id) {
  const bool pitch = id >= kPitchBase && id < kPitchBase + kNumPitches;
  return {id == kBar, pitch, false};
}

Expansion joined(const Expansion& a, const Expansion& b) {
  return {a.bar || b.bar, a.pitch || b.pitch, a.pitch_after_bar || b.pitch_after_bar || (a.bar && b.pitch)};
}

// The corpus as linked symbols: c[i] is the id at i (-1 once merged into its
// left neighbour), prev/next link the live symbols of one sequence.
struct LinkedSymbols {
  std::vector<int32_t> c, prev, next;
};

LinkedSymbols link_sequences(const TokenId* tokens, const uint64_t* offsets, size_t num_sequences) {
  const uint64_t begin = offsets[0];
  const uint64_t total = offsets[num_sequences] - begin;
  if (total >= uint64_t(INT32_MAX)) {
    throw Error("BPE training", std::to_string(total) + " tokens exceed the 2^31 this trainer indexes");
  }
  const size_t n = size_t(total);
  LinkedSymbols s{std::vector<int32_t>(tokens + begin, tokens + begin + n), std::vector<int32_t>(n),
                  std::vector<int32_t>(n)};
  for (size_t i = 0; i < n; ++i) {
    if (s.c[i] < 0 || s.c[i] >= kBaseVocabSize) {
      throw Error("BPE training", "token " + std::to_string(i) + " has id " + std::to_string(s.c[i]) +
                                      ", not a base REMI id (0.." + std::to_string(kBaseVocabSize - 1) + ")");
    }
  }
  for (size_t q = 0; q < num_sequences; ++q) {
    const size_t lo = size_t(offsets[q] - begin), hi = size_t(offsets[q + 1] - begin);
    for (size_t i = lo; i < hi; ++i) {
      s.prev[i] = i > lo ? int32_t(i - 1) : -1;
      s.next[i] = i + 1 < hi ? int32_t(i + 1) : -1;
    }
  }
  return s;
}

using CandidateQueue = std::priority_queue<Candidate, std::vector<Candidate>, LowerPriority>;

// Merges the most frequent pair until the vocabulary is full or no pair is left.
class BpeTrainer {
 public:
  BpeTrainer(LinkedSymbols symbols, const BpeTrainOptions& options)
      : s_(std::move(symbols)), options_(options), pairs_(options.vocab_size), expansion_(options.vocab_size) {
    for (TokenId id = 0; id < kBaseVocabSize; ++id) expansion_[size_t(id)] = base_expansion(id);
  }

  std::vector<Merge> run(size_t wanted) {
    count_pairs();
    while (merges_.size() < wanted && !queue_.empty()) {
      const Candidate top = queue_.top();
      queue_.pop();
      if (forbidden(top)) continue;  // never merged; later entries of it are dropped here too
      PairStats& stats = pairs_.get(top.a, top.b);
      if (stats.count != top.count) {  // stale entry: requeue with the current count
        if (stats.count > 0) queue_.push({stats.count, top.a, top.b});
        continue;
      }
      merge(top.a, top.b, stats);
      if (options_.progress) options_.progress(merges_.size(), wanted);
    }
    return std::move(merges_);
  }

 private:
  void count_pairs() {
    for (size_t i = 0; i < s_.c.size(); ++i) {
      if (s_.next[i] < 0 || !mergeable(s_.c[i]) || !mergeable(s_.c[size_t(s_.next[i])])) continue;
      PairStats& st = pairs_.get(s_.c[i], s_.c[size_t(s_.next[i])]);
      ++st.count;
      st.positions.push_back(uint32_t(i));
    }
    for (TokenId a = kNumSpecial; a < kBaseVocabSize; ++a) {
      for (TokenId b = kNumSpecial; b < kBaseVocabSize; ++b) {
        if (pairs_.find(a, b) >= 0) {
          int64_t count = pairs_.get(a, b).count;
          if (count > 0) queue_.push({count, a, b});
        }
      }
    }
  }

  bool forbidden(const Candidate& top) const {
    return !options_.merge_bar_with_notes &&
           joined(expansion_[size_t(top.a)], expansion_[size_t(top.b)]).pitch_after_bar;
  }

  // Replaces every live (a, b) by the new id and updates the neighbouring pairs.
  void merge(TokenId a, TokenId b, PairStats& stats) {
    const TokenId merged = TokenId(kBaseVocabSize + merges_.size());
    merges_.emplace_back(a, b);
    expansion_[size_t(merged)] = joined(expansion_[size_t(a)], expansion_[size_t(b)]);
    stamp_ = uint32_t(merges_.size());
    std::vector<uint32_t> positions = std::move(stats.positions);
    stats.positions = {};
    stats.count = 0;  // merged: never a candidate again (new pairs all contain newer ids)
    // Left to right matters for pairs (a, a). Positions arrive in order: from
    // the first scan, or, for a pair with a newer id, all while the merge that
    // created that id went left to right (see Bpe's encoder for the argument).
    assert(std::is_sorted(positions.begin(), positions.end()));
    raised_.clear();
    for (uint32_t pos : positions) merge_at(int32_t(pos), a, b, merged);
    for (const auto& [x, y] : raised_) {
      int64_t count = pairs_.get(x, y).count;
      if (count > 0) queue_.push({count, x, y});
    }
  }

  void merge_at(int32_t p, TokenId a, TokenId b, TokenId merged) {
    auto& c = s_.c;
    if (c[size_t(p)] != a) return;  // stale: already merged into something else
    const int32_t q = s_.next[size_t(p)];
    if (q < 0 || c[size_t(q)] != b) return;
    const int32_t left = s_.prev[size_t(p)];
    const int32_t right = s_.next[size_t(q)];
    if (left >= 0 && mergeable(c[size_t(left)])) {
      --pairs_.get(c[size_t(left)], a).count;
      raise(c[size_t(left)], merged, left);
    }
    if (right >= 0 && mergeable(c[size_t(right)])) {
      --pairs_.get(b, c[size_t(right)]).count;
      raise(merged, c[size_t(right)], p);
    }
    c[size_t(p)] = merged;
    c[size_t(q)] = -1;
    s_.next[size_t(p)] = right;
    if (right >= 0) s_.prev[size_t(right)] = p;
  }

  void raise(TokenId x, TokenId y, int32_t position) {
    PairStats& st = pairs_.get(x, y);
    ++st.count;
    st.positions.push_back(uint32_t(position));
    if (st.touched != stamp_) {
      st.touched = stamp_;
      raised_.emplace_back(x, y);
    }
  }

  LinkedSymbols s_;
  const BpeTrainOptions& options_;
  PairTable pairs_;
  std::vector<Expansion> expansion_;  // of every id so far
  CandidateQueue queue_;
  std::vector<Merge> merges_;
  uint32_t stamp_ = 0;                               // the current merge (1-based)
  std::vector<std::pair<TokenId, TokenId>> raised_;  // pairs whose count rose in this merge
};

}  // namespace

std::vector<Merge> train_bpe(const TokenId* tokens, const uint64_t* offsets, size_t num_sequences,
                             const BpeTrainOptions& options) {
  if (options.vocab_size < size_t(kBaseVocabSize) || options.vocab_size > 65535) {
    throw Error("BPE vocabulary size",
                std::to_string(options.vocab_size) + " is outside " + std::to_string(kBaseVocabSize) + "..65535");
  }
  const size_t wanted = options.vocab_size - size_t(kBaseVocabSize);
  if (num_sequences == 0 || wanted == 0) return {};
  return BpeTrainer(link_sequences(tokens, offsets, num_sequences), options).run(wanted);
}

std::vector<Merge> train_bpe(const std::vector<TokenSeq>& sequences, const BpeTrainOptions& options) {
  std::vector<TokenId> tokens;
  std::vector<uint64_t> offsets{0};
  size_t total = 0;
  for (const TokenSeq& s : sequences) total += s.size();
  tokens.reserve(total);
  offsets.reserve(sequences.size() + 1);
  for (const TokenSeq& s : sequences) {
    tokens.insert(tokens.end(), s.begin(), s.end());
    offsets.push_back(tokens.size());
  }
  return train_bpe(tokens.data(), offsets.data(), sequences.size(), options);
}

}  // namespace acc::tokenizer
