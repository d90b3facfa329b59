#include "accompanist/model/decoding.h"

#include "accompanist/model/precision.h"
#include "accompanist/util/error.h"

namespace acc::model {

IncrementalDecoder::IncrementalDecoder(Seq2SeqTransformer model, const torch::Tensor& source, int64_t capacity,
                                       const torch::Tensor& source_bars, const torch::Tensor& source_chords,
                                       const std::string& precision)
    : model_(std::move(model)), source_bars_(source_bars) {
  torch::NoGradGuard no_grad;
  const ModelConfig& c = model_->config();
  capacity_ = capacity > 0 ? std::min(capacity, c.max_len) : c.max_len;
  batch_ = source.size(0);
  {
    // The precision rule (precision.h) for the one batched pass, the encoder.
    // The one-position steps stay fp32: in bf16 they were measured 3x slower
    // (a 600-token part, Table 1 model, Xeon with AMX): every step casts the
    // growing key/value caches, and single-row products gain nothing.
    const torch::Device device = source.device();
    AutocastScope autocast(device, resolve_precision(precision, device));
    memory_ = model_->encode(source, source_bars, source_chords).to(torch::kFloat);  // [B, S, d]
  }
  key_pad_ = source.eq(kPad);  // [B, S]
  for (const auto& module : *model_->decoder->layers) {
    auto* layer = module->as<DecoderLayer>();
    layers_.push_back(layer);
    memory_caches_.push_back(layer->cross_attn->precompute_memory(memory_, key_pad_));
    self_caches_.emplace_back();
  }
}

torch::Tensor IncrementalDecoder::step(const torch::Tensor& tokens, const torch::Tensor& bars,
                                       const torch::Tensor& chords) {
  torch::NoGradGuard no_grad;
  const ModelConfig& c = model_->config();
  ACC_CHECK(position_ < c.max_len, "incremental decoder",
            "position " + std::to_string(position_) + " is past max_len " + std::to_string(c.max_len));
  ACC_CHECK(tokens.dim() == 1 && tokens.size(0) == batch_, "incremental decoder",
            "expected " + std::to_string(batch_) + " tokens");
  torch::Tensor input = tokens.view({batch_, 1});                                              // [B, 1]
  torch::Tensor query_bars = bars.defined() ? bars.view({batch_, 1}) : torch::Tensor();        // [B, 1]
  torch::Tensor query_chords = chords.defined() ? chords.view({batch_, 1}) : torch::Tensor();  // [B, 1]
  torch::Tensor x = model_->embed(model_->tgt_embed, input, position_, model_->tgt_bar_embed, query_bars,
                                  model_->tgt_chord_embed, query_chords);  // [B, 1, d]
  torch::Tensor pad = tokens.eq(kPad);                                     // [B]
  // The cross-attention mask and bar distances of this position: [B, 1, 1, S], [B, 1, S].
  const CrossBarContext cross = cross_bar_context(c.bar_alignment, key_pad_, query_bars, source_bars_);
  for (size_t i = 0; i < layers_.size(); ++i)
    x = layers_[i]->step(x, pad, self_caches_[i], memory_caches_[i], capacity_, cross);  // [B, 1, d]
  ++position_;
  return model_->out_proj(x).squeeze(1);  // [B, V]
}

void IncrementalDecoder::select(const torch::Tensor& rows) {
  torch::NoGradGuard no_grad;
  auto pick = [&](torch::Tensor& t) {
    if (t.defined()) t = t.index_select(0, rows);
  };
  pick(memory_);
  pick(key_pad_);
  pick(source_bars_);
  for (auto& cache : self_caches_) {
    pick(cache.k);
    pick(cache.v);
    pick(cache.key_pad);
  }
  for (auto& cache : memory_caches_) {
    pick(cache.k);
    pick(cache.v);
    pick(cache.key_pad);
  }
  batch_ = rows.size(0);
}

}  // namespace acc::model
