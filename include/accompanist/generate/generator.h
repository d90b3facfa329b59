// Batched autoregressive generation (SPEC section 7, thesis 3.4): from BOS,
// optionally primed with the first N reference tokens, one token per step
// with the key/value cache (or by recomputing the whole decoder input, for
// tests and benchmarks), until EOS or the token limit. Finished rows leave
// the batch. With grammar masking only ids that keep a valid REMI sequence
// (through their BPE expansion) may be sampled, optionally with at most N
// notes per onset. A generated part never opens more bars than its source
// has (bars_within_source): sampling a token that would open one ends the
// part there, as EOS does; nor does it end (EOS) before it has as many bars
// as the source (end_with_source). Bars are counted by model::MusicalTime,
// which also gives models that read them the bar index (and chord) of every
// source token and decoder input; model::Decoding runs the steps.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "accompanist/generate/sampler.h"
#include "accompanist/model/musical_time.h"
#include "accompanist/model/precision.h"
#include "accompanist/model/transformer.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::generate {

struct GenerationOptions {
  SamplingOptions sampling;
  uint64_t seed = 1;
  // Most tokens generated per sample (EOS not counted); 0 = the model's max_len.
  int64_t max_tokens = 0;
  // Forced reference tokens at the start (thesis: 50 for bass, 75 for piano).
  int64_t prime = 0;
  bool grammar_mask = false;
  // With grammar_mask: at most this many notes at one onset (Position), 0 =
  // unlimited. 1 keeps a bass line from stacking notes where its training
  // data plays one at a time. Primed tokens may exceed it.
  int max_notes_per_onset = 0;
  int64_t batch_size = 16;
  bool use_cache = true;  // false: a full decoder pass per step (same tokens, slower)
  // Of the cached path's encoder pass: auto, fp32 or bf16 (model/precision.h;
  // default: $ACCOMPANIST_PRECISION, else auto). The decoder steps stay fp32.
  std::string precision = model::default_inference_precision();
  // No more Bar tokens than the (truncated) source holds; primed tokens are not limited.
  bool bars_within_source = true;
  // And no fewer: EOS is not sampled before the part has opened as many bars
  // as its source (fairseq's min_len, counted in bars). The part may still
  // rest: empty bars are Bar tokens like any other.
  bool end_with_source = true;
};

// The most tokens a sample gets: max_tokens (0 = no limit of its own), never
// more than the model's max_len (the decoder reads BOS plus max_len - 1
// tokens fed back, so max_len tokens can be sampled). Throws unless
// max_tokens >= 0 and the model's vocabulary covers the tokenizer's (every id
// the tokenizer decodes must be one the model can emit), naming `model_name`.
// The one rule of Generator and of the generate run, which checks it before
// reading its inputs.
int64_t token_limit(const model::ModelConfig& model, const tokenizer::Tokenizer& tokenizer, int64_t max_tokens,
                    const std::string& model_name = "generation");

struct GenerationRequest {
  uint64_t stream = 0;         // sampling stream (derive_seed(seed, stream)): the sample's id
  tokenizer::TokenSeq source;  // BPE ids, no BOS/EOS; cut to max_len
  tokenizer::TokenSeq prime;   // forced first tokens (at most options.prime are used)
};

struct GeneratedSequence {
  tokenizer::TokenSeq tokens;   // BPE ids as sampled (primed ones included), no BOS/EOS
  int64_t primed = 0;           // how many leading tokens were forced
  bool ended = false;           // stopped at EOS (false: stopped by the token limit)
  bool grammar_broken = false;  // masking was on but the primed tokens already broke the grammar
};

class Generator {
 public:
  // The model is put in eval mode; its vocabulary must cover the tokenizer's.
  Generator(model::Seq2SeqTransformer model, const tokenizer::Tokenizer& tokenizer, GenerationOptions options);
  ~Generator();

  // Generates every request, options.batch_size at a time; results in request
  // order. on_tokens(n) is called after each step with the tokens it made.
  std::vector<GeneratedSequence> generate(const std::vector<GenerationRequest>& requests,
                                          const std::function<void(int64_t)>& on_tokens = {});

  const GenerationOptions& options() const { return options_; }
  int64_t max_tokens() const { return max_tokens_; }

 private:
  struct SourceBatch;
  struct RowState;
  void generate_batch(const std::vector<GenerationRequest>& requests, size_t begin, size_t end,
                      std::vector<GeneratedSequence>& out, const std::function<void(int64_t)>& on_tokens);
  SourceBatch source_batch(const std::vector<GenerationRequest>& requests, size_t begin, size_t end) const;
  std::vector<RowState> row_states(const std::vector<GenerationRequest>& requests, size_t begin,
                                   const SourceBatch& source) const;
  // The sampling rules: the next id of a row at step t, or EOS.
  int64_t choose_token(RowState& row, int64_t t, const float* logits, const model::MusicalTime::Clock& clock);
  int64_t sample_token(RowState& row, const float* logits, int64_t bars_seen);
  uint8_t* narrowed(const uint8_t*& allowed);

  model::Seq2SeqTransformer model_;
  const tokenizer::Tokenizer& tokenizer_;
  GenerationOptions options_;
  int64_t max_tokens_ = 0;
  std::vector<uint8_t> always_allowed_;  // ids that may ever be sampled (no PAD, BOS, MASK, unknown ids)
  model::MusicalTime time_;              // Bar tokens in each id's expansion; what the model reads
  std::vector<uint8_t> mask_;            // scratch: what one row may sample at one step
  struct GrammarTables;
  std::unique_ptr<GrammarTables> grammar_;
};

}  // namespace acc::generate
