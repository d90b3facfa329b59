// Incremental (autoregressive) decoding with a per-layer key/value cache:
// the source is encoded once, the cross-attention keys and values are
// computed once, and each step runs the decoder for one new position only
// (its self-attention key/value appended to the cache, its relative term
// computed for the new row). The logits equal those of the full forward pass.
#pragma once

#include <string>
#include <vector>

#include "accompanist/model/attention.h"
#include "accompanist/model/transformer.h"

namespace acc::model {

class IncrementalDecoder {
 public:
  // source [B, S] int64 (PAD = 0 after each sample's end, at least one token
  // each). capacity: the number of steps planned (0 = max_len); the caches are
  // allocated once for it and grow if a run goes further. Runs without
  // gradients; put the model in eval mode for deterministic results.
  // source_bars [B, S] int64: the source's bar indices, needed when the model
  // needs bars (config().needs_bars()); source_chords [B, S] int64: the chord
  // id of each source token's bar, needed with chord conditioning.
  // precision: of the encoder pass, "auto", "fp32" or "bf16" (precision.h).
  IncrementalDecoder(Seq2SeqTransformer model, const torch::Tensor& source, int64_t capacity = 0,
                     const torch::Tensor& source_bars = {}, const torch::Tensor& source_chords = {},
                     const std::string& precision = "auto");

  // tokens [B] int64: the decoder input at position position() (BOS first);
  // bars [B] int64: its bar index (next_bar_index() in bar_alignment.h), needed
  // when the model needs bars; chords [B] int64: the source chord id of that
  // bar (tokenizer::chords_at), needed with target chord conditioning.
  // Returns the logits for the next token, [B, V]. Throws past max_len.
  torch::Tensor step(const torch::Tensor& tokens, const torch::Tensor& bars = {}, const torch::Tensor& chords = {});

  // Keeps the batch rows `rows` ([B'] int64, in that order), e.g. to drop
  // finished samples.
  void select(const torch::Tensor& rows);

  int64_t position() const { return position_; }
  int64_t batch_size() const { return batch_; }
  const torch::Tensor& memory() const { return memory_; }  // [B, S, d]

 private:
  Seq2SeqTransformer model_;
  torch::Tensor memory_;
  torch::Tensor key_pad_;      // [B, S] bool
  torch::Tensor source_bars_;  // [B, S] int64 or undefined
  std::vector<AttentionCache> self_caches_;
  std::vector<AttentionCache> memory_caches_;
  std::vector<DecoderLayerImpl*> layers_;
  int64_t capacity_ = 0;
  int64_t position_ = 0;
  int64_t batch_ = 0;
};

}  // namespace acc::model
