// Padded batch tensors from token sequences, and the training loss
// (SPEC section 5): decoder input [BOS] + target, labels target + [EOS], both
// truncated to max_len (a truncated target has no EOS); the loss is the mean
// cross entropy over the non-PAD labels.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace acc::model {

struct Batch {
  at::Tensor source;          // [B, S] int64, PAD = 0 after each source
  at::Tensor decoder_input;   // [B, T] int64: BOS, target..., PAD
  at::Tensor labels;          // [B, T] int64: target..., EOS, PAD
  int64_t source_tokens = 0;  // non-PAD entries of source
  int64_t label_tokens = 0;   // non-PAD entries of labels (the loss's denominator)
  // Bar indices (bar_alignment.h), filled when make_batch gets bar_counts.
  at::Tensor source_bars;  // [B, S] int64
  at::Tensor target_bars;  // [B, T] int64, per decoder input position
  // Chord ids of each position's bar in the source (tokenizer/bar_chords.h),
  // filled when make_batch also gets the sources' bar chords.
  at::Tensor source_chords;  // [B, S] int64
  at::Tensor target_chords;  // [B, T] int64
};

// Per sample: the chord id of every bar of its source (tokenizer::bar_chord_ids).
using BarChords = std::vector<std::vector<int32_t>>;

// The chord id of bar `bar` of one source: 0 (no chord) outside its bars, as
// past the source's last bar. Batches and every decoder share this rule.
inline int64_t chord_of_bar(const std::vector<int32_t>& bar_chords, int64_t bar) {
  return bar >= 0 && bar < int64_t(bar_chords.size()) ? bar_chords[size_t(bar)] : 0;
}

// Sources longer than max_len are cut to max_len; targets to max_len - 1
// before BOS/EOS are added (then the EOS is cut away). Throws acc::Error for an
// empty batch, an empty source (nothing to attend to), a token id of 0 (PAD)
// inside a sequence, or an id >= vocab_size (when vocab_size > 0).
// bar_counts (the tokenizer's Bar tokens per id; null or empty: none) fills
// source_bars and target_bars; bar_chords (null: none; needs bar_counts) fills
// source_chords and target_chords (a bar past a source's last has chord 0).
Batch make_batch(const std::vector<std::vector<int64_t>>& sources, const std::vector<std::vector<int64_t>>& targets,
                 int64_t max_len, int64_t vocab_size = 0, const std::vector<int32_t>* bar_counts = nullptr,
                 const BarChords* bar_chords = nullptr);

// The same for any sequence type with begin() and end() (std::vector<uint16_t>, corpus spans).
template <class Seq>
Batch make_batch(const std::vector<Seq>& sources, const std::vector<Seq>& targets, int64_t max_len,
                 int64_t vocab_size = 0, const std::vector<int32_t>* bar_counts = nullptr,
                 const BarChords* bar_chords = nullptr) {
  auto widen = [](const std::vector<Seq>& in) {
    std::vector<std::vector<int64_t>> out(in.size());
    for (size_t i = 0; i < in.size(); ++i) out[i].assign(in[i].begin(), in[i].end());
    return out;
  };
  return make_batch(widen(sources), widen(targets), max_len, vocab_size, bar_counts, bar_chords);
}

// logits [B, T, V], labels [B, T] -> scalar: mean cross entropy over labels != PAD.
at::Tensor sequence_loss(const at::Tensor& logits, const at::Tensor& labels);
// The sum instead of the mean, for averaging over several batches or ranks
// (divide by the total label_tokens).
at::Tensor sequence_loss_sum(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace acc::model
