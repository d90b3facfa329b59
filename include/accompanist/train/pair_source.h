// Where training pairs come from: a corpus split, or synthetic random tokens
// (data.synthetic_len > 0; for throughput runs, like fairseq's dummy data).
// No LibTorch here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace acc::data {
class CorpusSplit;
}
namespace acc::tokenizer {
class Tokenizer;
}

namespace acc::train {

struct TokenExample {
  std::vector<int64_t> source;
  std::vector<int64_t> target;
  std::vector<int32_t> source_bar_chords;  // with_bar_chords(): the chord id of every source bar
};

class PairSource {
 public:
  virtual ~PairSource() = default;
  virtual size_t size() const = 0;
  virtual TokenExample get(size_t i) const = 0;
  // Source + target tokens of example i (for length grouping).
  virtual uint32_t cost(size_t i) const = 0;
  virtual uint32_t source_length(size_t i) const = 0;
  virtual uint32_t target_length(size_t i) const = 0;
  std::vector<uint32_t> costs() const;
  // fairseq's num_tokens for token budgets: max(source, decoder input) of each
  // example after cutting to max_len (the decoder input is BOS + target).
  std::vector<uint32_t> budget_sizes(int64_t max_len) const;
};

// A view of a loaded corpus split (which must outlive it).
std::unique_ptr<PairSource> corpus_pairs(const data::CorpusSplit& split);

// `count` examples, each source and target `length` random ids in
// [4, vocab_size) (no special tokens), a pure function of (seed, index).
std::unique_ptr<PairSource> synthetic_pairs(size_t count, int length, int vocab_size, uint64_t seed);

// All of `main`, then `count` examples of `extra` (a seeded choice without
// repeats; count <= extra->size()): a corpus with replayed pairs
// (data.replay). Examples main->size() + j are extra's chosen[j].
std::unique_ptr<PairSource> mixed_pairs(std::unique_ptr<PairSource> main, std::unique_ptr<PairSource> extra,
                                        size_t count, uint64_t seed);

// How many replayed pairs make `fraction` of the mixed set (at most `available`).
size_t replay_count(size_t main_size, double fraction, size_t available);

// `pairs` whose examples also carry their source's bar chords
// (tokenizer::bar_chord_ids with `tokenizer`), for chord conditioning.
std::unique_ptr<PairSource> with_bar_chords(std::unique_ptr<PairSource> pairs, const tokenizer::Tokenizer& tokenizer);

}  // namespace acc::train
