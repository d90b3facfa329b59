// The sequence-to-sequence Transformer of SPEC section 5: post-norm encoder
// layers with bidirectional relative self-attention, decoder layers with
// causal relative self-attention and plain cross-attention, separate source
// and target embeddings (scaled by sqrt(d)) plus sinusoidal positions, and an
// untied output projection. named_parameters() gives the SPEC section 9 names.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "accompanist/model/attention.h"
#include "accompanist/model/bar_alignment.h"
#include "accompanist/model/batch.h"
#include "accompanist/model/config.h"

namespace acc::model {

// Linear(d, ff) -> ReLU -> Linear(ff, d).
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t d_model, int64_t ff);
  torch::Tensor forward(const torch::Tensor& x);  // [B, L, d] -> [B, L, d]
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(FeedForward);

class EncoderLayerImpl : public torch::nn::Module {
 public:
  explicit EncoderLayerImpl(const ModelConfig& c);
  // x [B, S, d]; mask [B, 1, 1, S] bool (true = PAD key).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);
  MultiHeadAttention self_attn{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  FeedForward ffn{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(EncoderLayer);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const ModelConfig& c);
  // x [B, T, d]; self_mask [B, 1, T, T] (PAD or future key); memory [B, S, d];
  // cross: the cross-attention mask ([B, 1, 1 or T, S]) and bar distances.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& self_mask, const torch::Tensor& memory,
                        const CrossBarContext& cross);
  // One position for incremental decoding (see IncrementalDecoder); cross as
  // above for this position (mask [B, 1, 1, S]).
  torch::Tensor step(const torch::Tensor& x, const torch::Tensor& pad, AttentionCache& self_cache,
                     const AttentionCache& memory_cache, int64_t capacity, const CrossBarContext& cross);
  MultiHeadAttention self_attn{nullptr}, cross_attn{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  FeedForward ffn{nullptr};

 private:
  torch::Tensor drop(const torch::Tensor& x) const;
  double dropout_;
};
TORCH_MODULE(DecoderLayer);

// A stack of layers under the name "layers" (so names read encoder.layers.I...).
class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const ModelConfig& c);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Encoder);

class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const ModelConfig& c);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Decoder);

// The bar index of every source token and decoder input position
// (bar_indices() in bar_alignment.h; make_batch fills them), needed when
// config().needs_bars(); and the chord id of that bar in the source
// (tokenizer/bar_chords.h), needed with chord_conditioning.
struct BarIndices {
  torch::Tensor source;         // [B, S] int64
  torch::Tensor target;         // [B, T] int64, per decoder input position
  torch::Tensor source_chords;  // [B, S] int64 in 0..kChordIds-1
  torch::Tensor target_chords;  // [B, T] int64
};

// A batch's bar indices and chord ids (undefined when it has none) on `device`.
BarIndices batch_bar_indices(const Batch& batch, const torch::Device& device);

class Seq2SeqTransformerImpl : public torch::nn::Module {
 public:
  explicit Seq2SeqTransformerImpl(const ModelConfig& config);

  // source [B, S], decoder_input [B, T] (int64, PAD = 0) -> logits [B, T, V].
  // S and T must not exceed max_len (make_batch truncates).
  torch::Tensor forward(const torch::Tensor& source, const torch::Tensor& decoder_input, const BarIndices& bars = {});

  // source [B, S] -> memory [B, S, d]; source_bars [B, S] with bar embeddings,
  // source_chords [B, S] with source chord conditioning.
  torch::Tensor encode(const torch::Tensor& source, const torch::Tensor& source_bars = {},
                       const torch::Tensor& source_chords = {});
  // decoder_input [B, T], memory [B, S, d], source [B, S] (for its PAD mask)
  // -> logits [B, T, V].
  torch::Tensor decode(const torch::Tensor& decoder_input, const torch::Tensor& memory, const torch::Tensor& source,
                       const BarIndices& bars = {});

  // x = (Embed(tokens) [+ BarEmbed(bars)] [+ ChordEmbed(chords)]) * sqrt(d)
  // + PE(offset .. offset+L-1), then dropout. [B, L] -> [B, L, d].
  // bar_table: src_bar_embed or tgt_bar_embed, chord_table: src_chord_embed
  // or tgt_chord_embed (nullptr: none).
  torch::Tensor embed(torch::nn::Embedding table, const torch::Tensor& tokens, int64_t offset = 0,
                      torch::nn::Embedding bar_table = nullptr, const torch::Tensor& bars = {},
                      torch::nn::Embedding chord_table = nullptr, const torch::Tensor& chords = {});

  const ModelConfig& config() const { return config_; }

  torch::nn::Embedding src_embed{nullptr}, tgt_embed{nullptr};
  torch::nn::Embedding src_bar_embed{nullptr}, tgt_bar_embed{nullptr};  // with bar_alignment.embeddings
  torch::nn::Embedding src_chord_embed{nullptr};                        // with chord_conditioning.source
  torch::nn::Embedding tgt_chord_embed{nullptr};                        // with chord_conditioning.target
  Encoder encoder{nullptr};
  Decoder decoder{nullptr};
  torch::nn::Linear out_proj{nullptr};

 private:
  torch::Tensor positions(int64_t offset, int64_t length, const torch::TensorOptions& options);  // [L, d]
  torch::Tensor causal_mask(int64_t length, const torch::Device& device);                        // [1, 1, L, L]

  ModelConfig config_;
  // Not parameters or buffers: derived from the config, grown on demand.
  torch::Tensor pe_cache_;      // [N, d] sinusoidal table
  torch::Tensor causal_cache_;  // [N, N] bool, true above the diagonal
};
TORCH_MODULE(Seq2SeqTransformer);

}  // namespace acc::model
