#include "accompanist/model/batch.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "accompanist/model/config.h"
#include "accompanist/util/error.h"

namespace acc::model {

namespace {

void check_tokens(const std::vector<int64_t>& seq, const char* what, size_t index, int64_t vocab_size) {
  for (int64_t t : seq) {
    if (t == kPad || t < 0 || (vocab_size > 0 && t >= vocab_size))
      throw acc::Error("batch", std::string(what) + " " + std::to_string(index) + " holds token id " +
                                    std::to_string(t) +
                                    (vocab_size > 0 ? " (allowed: 1.." + std::to_string(vocab_size - 1) + ")"
                                                    : std::string(" (PAD or negative inside a sequence)")));
  }
}

}  // namespace

Batch make_batch(const std::vector<std::vector<int64_t>>& sources, const std::vector<std::vector<int64_t>>& targets,
                 int64_t max_len, int64_t vocab_size, const MusicalTime& time, const BarChords& bar_chords) {
  ACC_CHECK(!sources.empty(), "batch", "no sequences");
  ACC_CHECK(sources.size() == targets.size(), "batch", "different numbers of sources and targets");
  ACC_CHECK(max_len >= 1, "batch", "max_len must be positive");
  ACC_CHECK(!time.chords() || bar_chords.size() == sources.size(), "batch", "one list of bar chords per source");
  const int64_t B = static_cast<int64_t>(sources.size());
  int64_t S = 0, T = 0;
  for (int64_t b = 0; b < B; ++b) {
    if (sources[b].empty()) throw acc::Error("batch", "source " + std::to_string(b) + " is empty");
    check_tokens(sources[b], "source", b, vocab_size);
    check_tokens(targets[b], "target", b, vocab_size);
    S = std::max<int64_t>(S, std::min<int64_t>(sources[b].size(), max_len));
    T = std::max<int64_t>(T, std::min<int64_t>(targets[b].size() + 1, max_len));
  }
  Batch batch;
  batch.source = at::zeros({B, S}, at::kLong);
  batch.decoder_input = at::zeros({B, T}, at::kLong);
  batch.labels = at::zeros({B, T}, at::kLong);
  int64_t* src = batch.source.data_ptr<int64_t>();
  int64_t* din = batch.decoder_input.data_ptr<int64_t>();
  int64_t* lab = batch.labels.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = sources[b];
    const int64_t ns = std::min<int64_t>(s.size(), max_len);
    std::copy(s.begin(), s.begin() + ns, src + b * S);
    batch.source_tokens += ns;

    const auto& t = targets[b];
    const int64_t n = std::min<int64_t>(t.size() + 1, max_len);  // positions used
    din[b * T] = kBos;
    for (int64_t i = 1; i < n; ++i) din[b * T + i] = t[i - 1];
    for (int64_t i = 0; i < n; ++i) lab[b * T + i] = i < static_cast<int64_t>(t.size()) ? t[i] : kEos;
    batch.label_tokens += n;
  }
  if (time.bars()) {
    // PAD counts no Bar: padding continues the last bar (it is masked anyway).
    batch.source_bars = at::zeros({B, S}, at::kLong);
    batch.target_bars = at::zeros({B, T}, at::kLong);
    if (time.chords()) {
      batch.source_chords = at::zeros({B, S}, at::kLong);
      batch.target_chords = at::zeros({B, T}, at::kLong);
    }
    for (auto [tokens, bars, chords, L] : {std::tuple{src, &batch.source_bars, &batch.source_chords, S},
                                           std::tuple{din, &batch.target_bars, &batch.target_chords, T}}) {
      int64_t* out = bars->data_ptr<int64_t>();
      for (int64_t b = 0; b < B; ++b) {
        std::vector<int64_t> idx = time.bar_indices(tokens + b * L, L);
        std::copy(idx.begin(), idx.end(), out + b * L);
        if (!time.chords()) continue;
        const std::vector<int32_t>& table = bar_chords[size_t(b)];
        int64_t* c = chords->data_ptr<int64_t>() + b * L;
        for (int64_t i = 0; i < L; ++i) c[i] = chord_of_bar(table, idx[size_t(i)]);
      }
    }
  }
  return batch;
}

void pad_batch_length(Batch& batch, int64_t multiple, int64_t max_len) {
  ACC_CHECK(multiple >= 1, "batch", "the length multiple must be positive");
  if (multiple == 1) return;
  // [B, L] -> [B, L'] with PAD (0) or the last column repeated.
  auto grow = [](at::Tensor& t, int64_t extra, bool repeat_last) {
    if (!t.defined() || extra == 0) return;
    const int64_t B = t.size(0), L = t.size(1);
    t = repeat_last ? at::cat({t, t.narrow(1, L - 1, 1).expand({B, extra})}, 1) : at::constant_pad_nd(t, {0, extra});
  };
  auto target_length = [&](int64_t L) {
    const int64_t rounded = (L + multiple - 1) / multiple * multiple;
    return std::max(L, std::min(rounded, max_len));
  };
  const int64_t S = batch.source.size(1), T = batch.decoder_input.size(1);
  const int64_t es = target_length(S) - S, et = target_length(T) - T;
  grow(batch.source, es, false);
  grow(batch.source_bars, es, true);
  grow(batch.source_chords, es, true);
  grow(batch.decoder_input, et, false);
  grow(batch.labels, et, false);
  grow(batch.target_bars, et, true);
  grow(batch.target_chords, et, true);
}

at::Tensor sequence_loss_sum(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t V = logits.size(-1);
  return at::cross_entropy_loss(logits.reshape({-1, V}), labels.reshape({-1}), {}, at::Reduction::Sum, kPad);
}

at::Tensor sequence_loss(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t V = logits.size(-1);
  return at::cross_entropy_loss(logits.reshape({-1, V}), labels.reshape({-1}), {}, at::Reduction::Mean, kPad);
}

}  // namespace acc::model
