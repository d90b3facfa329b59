#include "accompanist/model/transformer.h"

#include <torch/nn/init.h>

#include <cmath>

#include "accompanist/model/dropout.h"
#include "accompanist/util/error.h"

namespace acc::model {

namespace {

AttentionOptions attention_options(const ModelConfig& c, RelativeMode mode) {
  return AttentionOptions(c.d_model, c.heads)
      .dropout(c.dropout)
      .relative(mode)
      .max_relative_distance(c.max_relative_distance);
}

AttentionOptions cross_attention_options(const ModelConfig& c) {
  return attention_options(c, RelativeMode::kNone)
      .bar_bias_distance(c.bar_alignment.bias ? c.bar_alignment.bias_distance : -1);
}

torch::nn::LayerNorm layer_norm(int64_t d) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5));
}

}  // namespace

FeedForwardImpl::FeedForwardImpl(int64_t d_model, int64_t ff) {
  fc1 = register_module("fc1", torch::nn::Linear(d_model, ff));
  fc2 = register_module("fc2", torch::nn::Linear(ff, d_model));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return fc2(torch::relu(fc1(x)));
}

EncoderLayerImpl::EncoderLayerImpl(const ModelConfig& c) : dropout_(c.dropout) {
  self_attn = register_module("self_attn", MultiHeadAttention(attention_options(c, RelativeMode::kBidirectional)));
  norm1 = register_module("norm1", layer_norm(c.d_model));
  norm2 = register_module("norm2", layer_norm(c.d_model));
  ffn = register_module("ffn", FeedForward(c.d_model, c.ff));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor h = norm1(x + fast_dropout(self_attn(x, x, mask), dropout_, is_training()));
  return norm2(h + fast_dropout(ffn(h), dropout_, is_training()));
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& c) : dropout_(c.dropout) {
  self_attn = register_module("self_attn", MultiHeadAttention(attention_options(c, RelativeMode::kCausal)));
  cross_attn = register_module("cross_attn", MultiHeadAttention(cross_attention_options(c)));
  norm1 = register_module("norm1", layer_norm(c.d_model));
  norm2 = register_module("norm2", layer_norm(c.d_model));
  norm3 = register_module("norm3", layer_norm(c.d_model));
  ffn = register_module("ffn", FeedForward(c.d_model, c.ff));
}

torch::Tensor DecoderLayerImpl::drop(const torch::Tensor& x) const {
  return fast_dropout(x, dropout_, is_training());
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& self_mask,
                                        const torch::Tensor& memory, const CrossBarContext& cross) {
  torch::Tensor h = norm1(x + drop(self_attn(x, x, self_mask)));
  h = norm2(h + drop(cross_attn(h, memory, cross.mask, cross.distance)));
  return norm3(h + drop(ffn(h)));
}

torch::Tensor DecoderLayerImpl::step(const torch::Tensor& x, const torch::Tensor& pad, AttentionCache& self_cache,
                                     const AttentionCache& memory_cache, int64_t capacity,
                                     const CrossBarContext& cross) {
  torch::Tensor h = norm1(x + drop(self_attn->step_self(x, pad, self_cache, capacity)));
  h = norm2(h + drop(cross_attn->attend_cached(h, memory_cache, cross.mask, cross.distance)));
  return norm3(h + drop(ffn(h)));
}

EncoderImpl::EncoderImpl(const ModelConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.enc_layers; ++i) layers->push_back(EncoderLayer(c));
}

DecoderImpl::DecoderImpl(const ModelConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.dec_layers; ++i) layers->push_back(DecoderLayer(c));
}

BarIndices batch_bar_indices(const Batch& batch, const torch::Device& device) {
  auto move = [&](const at::Tensor& t) { return t.defined() ? t.to(device) : torch::Tensor(); };
  return {move(batch.source_bars), move(batch.target_bars), move(batch.source_chords), move(batch.target_chords)};
}

Seq2SeqTransformerImpl::Seq2SeqTransformerImpl(const ModelConfig& config) : config_(config) {
  config_.validate();
  const int64_t d = config_.d_model, V = config_.vocab_size;
  src_embed = register_module("src_embed", torch::nn::Embedding(V, d));
  tgt_embed = register_module("tgt_embed", torch::nn::Embedding(V, d));
  encoder = register_module("encoder", Encoder(config_));
  decoder = register_module("decoder", Decoder(config_));
  out_proj = register_module("out_proj", torch::nn::Linear(d, V));
  if (config_.bar_alignment.embeddings) {
    src_bar_embed = register_module("src_bar_embed", torch::nn::Embedding(config_.bar_alignment.max_bars, d));
    tgt_bar_embed = register_module("tgt_bar_embed", torch::nn::Embedding(config_.bar_alignment.max_bars, d));
  }
  if (config_.chord_conditioning.source)
    src_chord_embed = register_module("src_chord_embed", torch::nn::Embedding(kChordIds, d));
  if (config_.chord_conditioning.target)
    tgt_chord_embed = register_module("tgt_chord_embed", torch::nn::Embedding(kChordIds, d));
  // N(0, 1/d) so that Embed * sqrt(d) has unit scale, comparable to the PE.
  torch::NoGradGuard no_grad;
  src_embed->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(d)));
  tgt_embed->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(d)));
  // Bar embeddings at a tenth of the tokens' scale: a hint, not a rival to the token identity.
  for (auto* bar : {&src_bar_embed, &tgt_bar_embed})
    if (!bar->is_empty()) (*bar)->weight.normal_(0.0, 0.1 / std::sqrt(static_cast<double>(d)));
  // Chord embeddings at the tokens' scale: the chord is as much the input as the token is.
  for (auto* chord : {&src_chord_embed, &tgt_chord_embed})
    if (!chord->is_empty()) (*chord)->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(d)));
}

torch::Tensor Seq2SeqTransformerImpl::positions(int64_t offset, int64_t length, const torch::TensorOptions& options) {
  const int64_t needed = offset + length;
  if (!pe_cache_.defined() || pe_cache_.size(0) < needed || pe_cache_.device() != options.device()) {
    const int64_t n = std::max(needed, config_.max_len);
    const int64_t d = config_.d_model;
    // Vaswani et al.: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...). Built in double.
    torch::Tensor pos = torch::arange(n, torch::kDouble).unsqueeze(1);                              // [n, 1]
    torch::Tensor two_i = torch::arange(0, d, 2, torch::kDouble);                                   // [ceil(d/2)]
    torch::Tensor angle = pos * torch::exp(two_i * (-std::log(10000.0) / static_cast<double>(d)));  // [n, d/2]
    torch::Tensor pe = torch::zeros({n, d}, torch::kDouble);
    pe.slice(1, 0, d, 2).copy_(angle.sin());
    pe.slice(1, 1, d, 2).copy_(angle.cos().narrow(1, 0, d / 2));
    pe_cache_ = pe.to(options.device(), torch::kFloat);
  }
  return pe_cache_.narrow(0, offset, length).to(options.dtype());  // [L, d]
}

torch::Tensor Seq2SeqTransformerImpl::embed(torch::nn::Embedding table, const torch::Tensor& tokens, int64_t offset,
                                            torch::nn::Embedding bar_table, const torch::Tensor& bars,
                                            torch::nn::Embedding chord_table, const torch::Tensor& chords) {
  torch::Tensor w = table->weight;
  torch::Tensor x = table(tokens);  // [B, L, d]
  if (!bar_table.is_empty()) {
    ACC_CHECK(bars.defined() && bars.sizes() == tokens.sizes(), "model",
              "the model has bar embeddings (model.bar_alignment.embeddings) but no bar indices were given");
    x = x + bar_table(bars.clamp(0, config_.bar_alignment.max_bars - 1));  // [B, L, d]
  }
  if (!chord_table.is_empty()) {
    ACC_CHECK(chords.defined() && chords.sizes() == tokens.sizes(), "model",
              "the model is conditioned on chords (model.chord_conditioning) but no chord ids were given");
    x = x + chord_table(chords.clamp(0, kChordIds - 1));  // [B, L, d]
  }
  x = x * std::sqrt(static_cast<double>(config_.d_model)) + positions(offset, tokens.size(1), w.options());
  return fast_dropout(x, config_.dropout, is_training());
}

torch::Tensor Seq2SeqTransformerImpl::causal_mask(int64_t length, const torch::Device& device) {
  if (!causal_cache_.defined() || causal_cache_.size(0) < length || causal_cache_.device() != device) {
    const int64_t n = std::max(length, config_.max_len);
    causal_cache_ = torch::ones({n, n}, torch::TensorOptions().dtype(torch::kBool).device(device)).triu(1);
  }
  return causal_cache_.narrow(0, 0, length).narrow(1, 0, length).view({1, 1, length, length});
}

torch::Tensor Seq2SeqTransformerImpl::encode(const torch::Tensor& source, const torch::Tensor& source_bars,
                                             const torch::Tensor& source_chords) {
  ACC_CHECK(source.dim() == 2, "model", "source must be [batch, length]");
  ACC_CHECK(source.size(1) <= config_.max_len, "model",
            "source length " + std::to_string(source.size(1)) + " exceeds max_len " + std::to_string(config_.max_len));
  const int64_t B = source.size(0), S = source.size(1);
  torch::Tensor mask = source.eq(kPad).view({B, 1, 1, S});  // [B, 1, 1, S]
  torch::Tensor x =
      embed(src_embed, source, 0, src_bar_embed, source_bars, src_chord_embed, source_chords);  // [B, S, d]
  for (const auto& layer : *encoder->layers) x = layer->as<EncoderLayer>()->forward(x, mask);
  return x;
}

torch::Tensor Seq2SeqTransformerImpl::decode(const torch::Tensor& decoder_input, const torch::Tensor& memory,
                                             const torch::Tensor& source, const BarIndices& bars) {
  ACC_CHECK(decoder_input.dim() == 2, "model", "decoder input must be [batch, length]");
  ACC_CHECK(decoder_input.size(1) <= config_.max_len, "model",
            "decoder input length " + std::to_string(decoder_input.size(1)) + " exceeds max_len " +
                std::to_string(config_.max_len));
  const int64_t B = decoder_input.size(0), T = decoder_input.size(1);
  ACC_CHECK(source.size(0) == B, "model", "source and decoder input batch sizes differ");
  const CrossBarContext cross = cross_bar_context(config_.bar_alignment, source.eq(kPad), bars.target, bars.source);
  torch::Tensor self_mask =
      decoder_input.eq(kPad).view({B, 1, 1, T}).logical_or(causal_mask(T, decoder_input.device()));  // [B, 1, T, T]
  torch::Tensor x =
      embed(tgt_embed, decoder_input, 0, tgt_bar_embed, bars.target, tgt_chord_embed, bars.target_chords);  // [B, T, d]
  for (const auto& layer : *decoder->layers) x = layer->as<DecoderLayer>()->forward(x, self_mask, memory, cross);
  return out_proj(x);  // [B, T, V]
}

torch::Tensor Seq2SeqTransformerImpl::forward(const torch::Tensor& source, const torch::Tensor& decoder_input,
                                              const BarIndices& bars) {
  ACC_CHECK(source.size(0) == decoder_input.size(0), "model", "source and decoder input batch sizes differ");
  return decode(decoder_input, encode(source, bars.source, bars.source_chords), source, bars);
}

}  // namespace acc::model
