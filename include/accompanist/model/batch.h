// Padded batch tensors from token sequences, and the training loss
// (SPEC section 5): decoder input [BOS] + target, labels target + [EOS], both
// truncated to max_len (a truncated target has no EOS); the loss is the mean
// cross entropy over the non-PAD labels.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "accompanist/model/musical_time.h"

namespace acc::model {

struct Batch {
  at::Tensor source;          // [B, S] int64, PAD = 0 after each source
  at::Tensor decoder_input;   // [B, T] int64: BOS, target..., PAD
  at::Tensor labels;          // [B, T] int64: target..., EOS, PAD
  int64_t source_tokens = 0;  // non-PAD entries of source
  int64_t label_tokens = 0;   // non-PAD entries of labels (the loss's denominator)
  // Bar indices (musical_time.h), filled when the model reads them (MusicalTime::bars()).
  at::Tensor source_bars;  // [B, S] int64
  at::Tensor target_bars;  // [B, T] int64, per decoder input position
  // Chord ids of each position's bar in the source (tokenizer/bar_chords.h),
  // filled when the model reads them (MusicalTime::chords()).
  at::Tensor source_chords;  // [B, S] int64
  at::Tensor target_chords;  // [B, T] int64
};

// Sources longer than max_len are cut to max_len; targets to max_len - 1
// before BOS/EOS are added (then the EOS is cut away). Throws acc::Error for an
// empty batch, an empty source (nothing to attend to), a token id of 0 (PAD)
// inside a sequence, or an id >= vocab_size (when vocab_size > 0).
// `time` fills source_bars and target_bars when the model reads bars, and
// source_chords and target_chords from `bar_chords` (one list per source,
// required then) when it reads chords (a bar past a source's last has chord 0).
Batch make_batch(const std::vector<std::vector<int64_t>>& sources, const std::vector<std::vector<int64_t>>& targets,
                 int64_t max_len, int64_t vocab_size = 0, const MusicalTime& time = {},
                 const BarChords& bar_chords = {});

// The same for any sequence type with begin() and end() (std::vector<uint16_t>, corpus spans).
template <class Seq>
Batch make_batch(const std::vector<Seq>& sources, const std::vector<Seq>& targets, int64_t max_len,
                 int64_t vocab_size = 0, const MusicalTime& time = {}, const BarChords& bar_chords = {}) {
  auto widen = [](const std::vector<Seq>& in) {
    std::vector<std::vector<int64_t>> out(in.size());
    for (size_t i = 0; i < in.size(); ++i) out[i].assign(in[i].begin(), in[i].end());
    return out;
  };
  return make_batch(widen(sources), widen(targets), max_len, vocab_size, time, bar_chords);
}

// Pads source and decoder input/labels with PAD up to the next multiple of
// `multiple` (at most max_len, or the current length when it is longer), bar
// indices and chords continuing their last column as make_batch pads them.
// The loss and every non-PAD position's output are unchanged; what it buys is
// fewer distinct shapes, so oneDNN's bf16 kernels are compiled once per
// length bucket instead of once per batch (fairseq's required_seq_len_multiple).
void pad_batch_length(Batch& batch, int64_t multiple, int64_t max_len);

// logits [B, T, V], labels [B, T] -> scalar: mean cross entropy over labels != PAD.
at::Tensor sequence_loss(const at::Tensor& logits, const at::Tensor& labels);
// The sum instead of the mean, for averaging over several batches or ranks
// (divide by the total label_tokens).
at::Tensor sequence_loss_sum(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace acc::model
