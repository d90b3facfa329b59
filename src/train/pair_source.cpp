#include "accompanist/train/pair_source.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "accompanist/data/corpus.h"
#include "accompanist/midi/chord.h"
#include "accompanist/model/config.h"
#include "accompanist/tokenizer/bar_chords.h"
#include "accompanist/train/batch_plan.h"
#include "accompanist/util/error.h"

namespace acc::train {
namespace {

static_assert(model::kChordIds == midi::kNumChordIds, "the model's chord embeddings cover every chord id");

class CorpusPairs final : public PairSource {
 public:
  explicit CorpusPairs(const data::CorpusSplit& split) : split_(split) {}
  size_t size() const override { return split_.size(); }
  TokenExample get(size_t i) const override {
    data::TokenSpan s = split_.source(i), t = split_.target(i);
    return {std::vector<int64_t>(s.begin(), s.end()), std::vector<int64_t>(t.begin(), t.end()), {}};
  }
  uint32_t cost(size_t i) const override { return uint32_t(split_.source(i).size + split_.target(i).size); }
  uint32_t source_length(size_t i) const override { return uint32_t(split_.source(i).size); }
  uint32_t target_length(size_t i) const override { return uint32_t(split_.target(i).size); }

 private:
  const data::CorpusSplit& split_;
};

class SyntheticPairs final : public PairSource {
 public:
  SyntheticPairs(size_t count, int length, int vocab, uint64_t seed)
      : count_(count), length_(length), vocab_(vocab), seed_(seed) {}
  size_t size() const override { return count_; }
  TokenExample get(size_t i) const override {
    std::mt19937_64 rng(mix_seed(seed_, i));
    TokenExample ex;
    ex.source.resize(size_t(length_));
    ex.target.resize(size_t(length_));
    for (auto& t : ex.source) t = 4 + int64_t(rng() % uint64_t(vocab_ - 4));
    for (auto& t : ex.target) t = 4 + int64_t(rng() % uint64_t(vocab_ - 4));
    return ex;
  }
  uint32_t cost(size_t) const override { return uint32_t(2 * length_); }
  uint32_t source_length(size_t) const override { return uint32_t(length_); }
  uint32_t target_length(size_t) const override { return uint32_t(length_); }

 private:
  size_t count_;
  int length_;
  int vocab_;
  uint64_t seed_;
};

class MixedPairs final : public PairSource {
 public:
  MixedPairs(std::unique_ptr<PairSource> main, std::unique_ptr<PairSource> extra, size_t count, uint64_t seed)
      : main_(std::move(main)), extra_(std::move(extra)) {
    if (count > extra_->size()) throw Error("data", "replay: more pairs asked than the corpus has");
    chosen_.resize(extra_->size());
    std::iota(chosen_.begin(), chosen_.end(), 0u);
    std::mt19937_64 rng(mix_seed(seed, 0x7265706c6179));  // "replay"
    std::shuffle(chosen_.begin(), chosen_.end(), rng);
    chosen_.resize(count);
  }
  size_t size() const override { return main_->size() + chosen_.size(); }
  TokenExample get(size_t i) const override { return i < main_->size() ? main_->get(i) : extra_->get(pick(i)); }
  uint32_t cost(size_t i) const override { return i < main_->size() ? main_->cost(i) : extra_->cost(pick(i)); }
  uint32_t source_length(size_t i) const override {
    return i < main_->size() ? main_->source_length(i) : extra_->source_length(pick(i));
  }
  uint32_t target_length(size_t i) const override {
    return i < main_->size() ? main_->target_length(i) : extra_->target_length(pick(i));
  }

 private:
  size_t pick(size_t i) const { return chosen_.at(i - main_->size()); }
  std::unique_ptr<PairSource> main_, extra_;
  std::vector<uint32_t> chosen_;
};

// Computed on each get(): decoding one source is microseconds, and the batch
// loader calls it on its own thread.
class ChordedPairs final : public PairSource {
 public:
  ChordedPairs(std::unique_ptr<PairSource> pairs, const tokenizer::Tokenizer& tokenizer)
      : pairs_(std::move(pairs)), tokenizer_(tokenizer) {}
  size_t size() const override { return pairs_->size(); }
  TokenExample get(size_t i) const override {
    TokenExample ex = pairs_->get(i);
    ex.source_bar_chords =
        tokenizer::bar_chord_ids(tokenizer_, tokenizer::TokenSeq(ex.source.begin(), ex.source.end()));
    return ex;
  }
  uint32_t cost(size_t i) const override { return pairs_->cost(i); }
  uint32_t source_length(size_t i) const override { return pairs_->source_length(i); }
  uint32_t target_length(size_t i) const override { return pairs_->target_length(i); }

 private:
  std::unique_ptr<PairSource> pairs_;
  tokenizer::Tokenizer tokenizer_;
};

}  // namespace

std::vector<uint32_t> PairSource::costs() const {
  std::vector<uint32_t> out(size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = cost(i);
  return out;
}

std::vector<uint32_t> PairSource::budget_sizes(int64_t max_len) const {
  std::vector<uint32_t> out(size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = uint32_t(std::min<int64_t>(max_len, std::max<int64_t>(source_length(i), int64_t(target_length(i)) + 1)));
  return out;
}

std::unique_ptr<PairSource> corpus_pairs(const data::CorpusSplit& split) {
  return std::make_unique<CorpusPairs>(split);
}

std::unique_ptr<PairSource> synthetic_pairs(size_t count, int length, int vocab_size, uint64_t seed) {
  return std::make_unique<SyntheticPairs>(count, length, vocab_size, seed);
}

std::unique_ptr<PairSource> mixed_pairs(std::unique_ptr<PairSource> main, std::unique_ptr<PairSource> extra,
                                        size_t count, uint64_t seed) {
  return std::make_unique<MixedPairs>(std::move(main), std::move(extra), count, seed);
}

size_t replay_count(size_t main_size, double fraction, size_t available) {
  if (fraction <= 0) return 0;
  const double want = std::round(double(main_size) * fraction / (1.0 - fraction));
  return std::min(available, size_t(want));
}

std::unique_ptr<PairSource> with_bar_chords(std::unique_ptr<PairSource> pairs, const tokenizer::Tokenizer& tokenizer) {
  return std::make_unique<ChordedPairs>(std::move(pairs), tokenizer);
}

}  // namespace acc::train
