// Incremental (autoregressive) decoding with a per-layer key/value cache:
// the source is encoded once, the cross-attention keys and values are
// computed once, and each step runs the decoder for one new position only
// (its self-attention key/value appended to the cache, its relative term
// computed for the new row). The logits equal those of the full forward pass.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "accompanist/model/attention.h"
#include "accompanist/model/musical_time.h"
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
  // bars [B] int64: its bar index (MusicalTime::advance()), needed when the
  // model needs bars; chords [B] int64: the source chord id of that bar
  // (chord_of_bar()), needed with target chord conditioning.
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

// Rows of a batch decoded together until each has ended: the encoder runs
// once, then one decoder step per token, with the key/value cache
// (IncrementalDecoder) or by recomputing the whole decoder input (for tests
// and benchmarks; same tokens). Every row's musical time is tracked from the
// tokens it is fed (MusicalTime::Clock), and rows that end leave the batch.
// How a row's next token is chosen is the caller's (generate::Generator's
// sampling rules, the trainer's greedy samples).
class Decoding {
 public:
  struct Options {
    int64_t max_tokens = 0;  // tokens per row at most (EOS not counted), <= max_len
    bool use_cache = true;
    std::string precision = "auto";  // of the cached path's encoder pass (precision.h)
  };
  // The next token of `row` (the row's index in the batch) at step t (0 =
  // after BOS), from its logits [V] and its musical time so far (the clock
  // after its last input): an id, or kEos to end the row there.
  using ChooseToken = std::function<int64_t(int64_t row, int64_t t, const float* logits, const MusicalTime::Clock&)>;
  struct Row {
    std::vector<int64_t> tokens;  // chosen, no BOS/EOS
    bool ended = false;           // chose EOS (false: stopped by max_tokens)
  };

  // source: make_batch's source side (source, source_bars, source_chords, as
  // `time` fills them); bar_chords: the chord of every source bar of each row
  // (with time.chords()). The model is used as it is (put it in eval mode).
  Decoding(Seq2SeqTransformer model, const MusicalTime& time, const Batch& source, BarChords bar_chords,
           Options options);
  ~Decoding();

  // Decodes every row from BOS; on_tokens(n) after each step with the tokens it made.
  std::vector<Row> run(const ChooseToken& choose, const std::function<void(int64_t)>& on_tokens = {});

 private:
  at::Tensor step(const std::vector<int64_t>& tokens);  // next input of each active row -> logits [B', V], CPU fp32
  void select(const std::vector<int64_t>& keep);        // keep these active rows (positions among them)

  struct Recompute;
  Seq2SeqTransformer model_;
  MusicalTime time_;
  BarChords bar_chords_;
  Options options_;
  torch::Device device_;
  std::vector<int64_t> active_;             // batch rows still decoding, in decoder row order
  std::vector<MusicalTime::Clock> clocks_;  // per batch row
  std::unique_ptr<IncrementalDecoder> cached_;
  std::unique_ptr<Recompute> recompute_;
};

}  // namespace acc::model
