#include "accompanist/model/decoding.h"

#include <algorithm>

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

namespace acc::model {

// The recomputing path: the whole decoder input, its bars and chords, grown a column per step.
struct Decoding::Recompute {
  torch::Tensor source, source_bars, source_chords;     // [B', S]
  torch::Tensor memory;                                 // [B', S, d]: the encoder runs once either way
  torch::Tensor history, history_bars, history_chords;  // [B', t+1]

  void append(torch::Tensor& to, const torch::Tensor& column) {
    if (!column.defined()) return;
    to = to.defined() ? torch::cat({to, column.view({-1, 1})}, 1) : column.view({-1, 1});
  }
  void select(const torch::Tensor& rows) {
    for (torch::Tensor* t : {&source, &source_bars, &source_chords, &memory, &history, &history_bars, &history_chords})
      if (t->defined()) *t = t->index_select(0, rows);
  }
};

namespace {

torch::Device model_device(const Seq2SeqTransformer& model) {
  return model->parameters().empty() ? torch::Device(torch::kCPU) : model->parameters().front().device();
}

torch::Tensor on(const torch::Tensor& t, const torch::Device& device) {
  return t.defined() ? t.to(device) : torch::Tensor();
}

}  // namespace

Decoding::Decoding(Seq2SeqTransformer model, const MusicalTime& time, const Batch& source, BarChords bar_chords,
                   Options options)
    : model_(std::move(model)),
      time_(time),
      bar_chords_(std::move(bar_chords)),
      options_(std::move(options)),
      device_(model_device(model_)) {
  torch::NoGradGuard no_grad;
  const int64_t batch = source.source.size(0);
  ACC_CHECK(!time_.chords() || int64_t(bar_chords_.size()) == batch, "decoding", "one list of bar chords per row");
  active_.resize(size_t(batch));
  for (int64_t b = 0; b < batch; ++b) active_[size_t(b)] = b;
  clocks_.assign(size_t(batch), MusicalTime::Clock());
  const torch::Tensor ids = source.source.to(device_);
  const torch::Tensor bars = time_.bars() ? on(source.source_bars, device_) : torch::Tensor();
  const torch::Tensor chords = time_.chords() ? on(source.source_chords, device_) : torch::Tensor();
  if (options_.use_cache) {
    cached_ = std::make_unique<IncrementalDecoder>(model_, ids, options_.max_tokens, bars, chords, options_.precision);
  } else {
    recompute_ = std::make_unique<Recompute>();
    recompute_->source = ids;
    recompute_->source_bars = bars;
    recompute_->source_chords = chords;
    recompute_->memory = model_->encode(ids, bars, chords);
  }
}

Decoding::~Decoding() = default;

at::Tensor Decoding::step(const std::vector<int64_t>& tokens) {
  std::vector<int64_t> bars, chords;  // of each active row's input
  for (size_t i = 0; i < active_.size(); ++i) {
    const int64_t b = active_[i];
    const int64_t bar = time_.advance(clocks_[size_t(b)], tokens[i]);
    bars.push_back(bar);
    if (time_.chords()) chords.push_back(chord_of_bar(bar_chords_[size_t(b)], bar));
  }
  const auto long_options = torch::dtype(torch::kInt64);
  const torch::Tensor input = torch::tensor(tokens, long_options).to(device_);  // [B']
  const torch::Tensor input_bars = time_.bars() ? torch::tensor(bars, long_options).to(device_) : torch::Tensor();
  const torch::Tensor input_chords = time_.chords() ? torch::tensor(chords, long_options).to(device_) : torch::Tensor();
  torch::Tensor logits;  // [B', V]
  if (cached_) {
    logits = cached_->step(input, input_bars, input_chords);
  } else {
    Recompute& r = *recompute_;
    r.append(r.history, input);
    r.append(r.history_bars, input_bars);
    r.append(r.history_chords, input_chords);
    logits =
        model_
            ->decode(r.history, r.memory, r.source, {r.source_bars, r.history_bars, r.source_chords, r.history_chords})
            .select(1, -1);
  }
  return logits.to(torch::kCPU, torch::kFloat).contiguous();
}

void Decoding::select(const std::vector<int64_t>& keep) {
  const torch::Tensor rows = torch::tensor(keep, torch::dtype(torch::kInt64)).to(device_);
  if (cached_)
    cached_->select(rows);
  else
    recompute_->select(rows);
  std::vector<int64_t> still;
  for (int64_t i : keep) still.push_back(active_[size_t(i)]);
  active_.swap(still);
}

std::vector<Decoding::Row> Decoding::run(const ChooseToken& choose, const std::function<void(int64_t)>& on_tokens) {
  torch::NoGradGuard no_grad;
  const int64_t vocab = model_->config().vocab_size;
  std::vector<Row> out(active_.size());
  std::vector<int64_t> tokens(active_.size(), kBos);  // each active row's next input
  for (int64_t t = 0; t < options_.max_tokens && !active_.empty(); ++t) {
    const torch::Tensor logits = step(tokens);  // [B', V]
    const float* data = logits.data_ptr<float>();
    std::vector<int64_t> keep, next;
    int64_t made = 0;
    for (size_t i = 0; i < active_.size(); ++i) {
      const int64_t b = active_[i];
      const int64_t id = choose(b, t, data + int64_t(i) * vocab, clocks_[size_t(b)]);
      Row& row = out[size_t(b)];
      if (id == kEos) {
        row.ended = true;
        continue;
      }
      row.tokens.push_back(id);
      ++made;
      if (int64_t(row.tokens.size()) >= options_.max_tokens) continue;
      keep.push_back(int64_t(i));
      next.push_back(id);
    }
    if (on_tokens) on_tokens(made);
    if (keep.empty()) break;
    if (keep.size() != active_.size()) select(keep);
    tokens.swap(next);
  }
  return out;
}

}  // namespace acc::model
