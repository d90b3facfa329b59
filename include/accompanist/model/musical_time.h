// The one owner of musical time (docs/model.md "Bar alignment", "Chord
// conditioning"): which bar every token is in, counted from the tokenizer's
// Bar tokens per id, and whether a model reads those bar indices and the
// chord of each bar. Batches (make_batch), scoring, the trainer's loader and
// every decoder (Decoding, decoding.h) ask it; nobody else counts bars.
//
// A token's bar index is the number of Bar tokens in the base REMI expansions
// of the sequence up to and including it, minus one, and 0 before the first
// Bar: a BPE token that spans a bar line belongs to the bar it opens, BOS (no
// Bar) to bar 0. The model knows nothing of the tokenizer: the counts come in
// as Tokenizer::bar_counts(). No LibTorch here.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/model/config.h"

namespace acc::model {

// Per sample: the chord id of every bar of its source (tokenizer::bar_chord_ids).
using BarChords = std::vector<std::vector<int32_t>>;

// The chord id of bar `bar` of one source: 0 (no chord) outside its bars, as
// past the source's last bar. Batches and every decoder share this rule.
inline int64_t chord_of_bar(const std::vector<int32_t>& bar_chords, int64_t bar) {
  return bar >= 0 && bar < int64_t(bar_chords.size()) ? bar_chords[size_t(bar)] : 0;
}

// The primitives MusicalTime is made of. ids -> bar index per position
// (ids outside bar_counts count 0).
std::vector<int64_t> bar_indices(const int64_t* ids, int64_t n, const std::vector<int32_t>& bar_counts);
// The bar index after one more token, given the Bar tokens seen so far
// (`bars_seen`, updated).
int64_t next_bar_index(int64_t& bars_seen, int64_t id, const std::vector<int32_t>& bar_counts);

class MusicalTime {
 public:
  // Musical time of a decoder row, one input token at a time.
  struct Clock {
    int64_t bars_seen = 0;  // Bar tokens in the inputs so far
    int64_t bar = 0;        // the bar of the last input
  };

  // No Bar counts: every token is in bar 0, and the model reads no bars.
  MusicalTime() = default;
  // bar_counts: Bar tokens in each id's expansion (Tokenizer::bar_counts());
  // ids outside it count none. The config says what the model reads (nothing
  // without counts: such a model then fails for want of bar indices).
  MusicalTime(const ModelConfig& config, std::vector<int32_t> bar_counts);

  // Whether a model with this config reads bar indices (and so needs the
  // tokenizer's Bar counts), and the chord of each bar.
  static bool needs_bars(const ModelConfig& config) { return config.needs_bars(); }
  static bool needs_chords(const ModelConfig& config) { return config.chord_conditioning.enabled(); }

  bool bars() const { return bars_; }      // batches and decoders carry bar indices
  bool chords() const { return chords_; }  // and the source chord of each position's bar

  // Bar tokens in the expansion of `id` (0 outside the counts).
  int32_t bar_count(int64_t id) const {
    return id >= 0 && size_t(id) < bar_counts_.size() ? bar_counts_[size_t(id)] : 0;
  }
  // Bar tokens in ids[0..n).
  int64_t bars_in(const int64_t* ids, int64_t n) const;
  // The bar index of each of ids[0..n).
  std::vector<int64_t> bar_indices(const int64_t* ids, int64_t n) const;
  // Moves `clock` past one more input token; returns its bar.
  int64_t advance(Clock& clock, int64_t id) const;

 private:
  bool bars_ = false;
  bool chords_ = false;
  std::vector<int32_t> bar_counts_;
};

}  // namespace acc::model
