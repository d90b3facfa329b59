#include "accompanist/generate/generator.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "accompanist/model/batch.h"
#include "accompanist/model/decoding.h"
#include "accompanist/tokenizer/bar_chords.h"
#include "accompanist/tokenizer/grammar.h"
#include "accompanist/util/error.h"

namespace acc::generate {

struct Generator::GrammarTables {
  GrammarTables(const tokenizer::Bpe& bpe, int max_notes_per_onset) : grammar(bpe, max_notes_per_onset) {}
  tokenizer::Grammar grammar;
};

int64_t token_limit(const model::ModelConfig& model, const tokenizer::Tokenizer& tokenizer, int64_t max_tokens,
                    const std::string& model_name) {
  ACC_CHECK(size_t(model.vocab_size) >= tokenizer.vocab_size(), model_name,
            fmt::format("the model's vocabulary ({}) is smaller than the tokenizer's ({})", model.vocab_size,
                        tokenizer.vocab_size()));
  ACC_CHECK(max_tokens >= 0, "generation", "max tokens must be >= 0");
  return max_tokens == 0 ? model.max_len : std::min(max_tokens, model.max_len);
}

Generator::Generator(model::Seq2SeqTransformer model, const tokenizer::Tokenizer& tokenizer, GenerationOptions options)
    : model_(std::move(model)), tokenizer_(tokenizer), options_(options) {
  options_.sampling.validate();
  const model::ModelConfig& c = model_->config();
  max_tokens_ = token_limit(c, tokenizer, options_.max_tokens);
  ACC_CHECK(options_.prime >= 0, "generation", "prime must be >= 0");
  ACC_CHECK(options_.batch_size > 0, "generation", "batch size must be > 0");
  ACC_CHECK(options_.max_notes_per_onset == 0 || options_.grammar_mask, "generation",
            "a limit of notes per onset needs the grammar mask");
  // PAD, BOS and MASK never belong in an output, nor ids the tokenizer cannot decode.
  always_allowed_.assign(size_t(c.vocab_size), 0);
  for (size_t id = 0; id < tokenizer.vocab_size(); ++id) always_allowed_[id] = 1;
  for (tokenizer::TokenId id : {tokenizer::kPad, tokenizer::kBos, tokenizer::kMask}) always_allowed_[size_t(id)] = 0;
  if (options_.grammar_mask) grammar_ = std::make_unique<GrammarTables>(tokenizer.bpe(), options_.max_notes_per_onset);
  time_ = model::MusicalTime(c, tokenizer.bar_counts());
  model_->eval();
}

Generator::~Generator() = default;

std::vector<GeneratedSequence> Generator::generate(const std::vector<GenerationRequest>& requests,
                                                   const std::function<void(int64_t)>& on_tokens) {
  std::vector<GeneratedSequence> out(requests.size());
  for (size_t begin = 0; begin < requests.size(); begin += size_t(options_.batch_size)) {
    const size_t end = std::min(requests.size(), begin + size_t(options_.batch_size));
    generate_batch(requests, begin, end, out, on_tokens);
  }
  return out;
}

// One batch's source side: ids cut to max_len with their bars and chords as
// the model reads them (model::make_batch), and per row its Bar total.
struct Generator::SourceBatch {
  model::Batch tensors;
  model::BarChords bar_chords;     // the chord of every source bar (models that read chords)
  std::vector<int64_t> bar_total;  // Bar tokens in each (cut) source
};

// What one row carries from step to step.
struct Generator::RowState {
  size_t index = 0;  // the request's
  Sampler sampler;
  const tokenizer::TokenSeq* prime = nullptr;
  int64_t prime_len = 0;
  int64_t bar_total = 0;
  tokenizer::Grammar::State grammar_state = 0;
  bool grammar_broken = false;
};

Generator::SourceBatch Generator::source_batch(const std::vector<GenerationRequest>& requests, size_t begin,
                                               size_t end) const {
  const model::ModelConfig& c = model_->config();
  SourceBatch s;
  std::vector<std::vector<int64_t>> sources;
  for (size_t i = begin; i < end; ++i) {
    const tokenizer::TokenSeq& full = requests[i].source;
    ACC_CHECK(!full.empty(), "generation", fmt::format("sample {} has an empty source", i));
    const tokenizer::TokenSeq cut(full.begin(), full.begin() + std::min<int64_t>(int64_t(full.size()), c.max_len));
    for (tokenizer::TokenId id : cut)
      ACC_CHECK(id > 0 && id < c.vocab_size, "generation",
                fmt::format("sample {}: source id {} outside 1..{}", i, id, c.vocab_size - 1));
    sources.emplace_back(cut.begin(), cut.end());
    s.bar_total.push_back(time_.bars_in(sources.back().data(), int64_t(cut.size())));
    if (time_.chords()) s.bar_chords.push_back(tokenizer::bar_chord_ids(tokenizer_, cut));
  }
  s.tensors = model::make_batch(sources, std::vector<std::vector<int64_t>>(sources.size()), c.max_len, c.vocab_size,
                                time_, s.bar_chords);
  return s;
}

std::vector<Generator::RowState> Generator::row_states(const std::vector<GenerationRequest>& requests, size_t begin,
                                                       const SourceBatch& source) const {
  std::vector<RowState> rows;
  for (size_t b = 0; b < source.bar_total.size(); ++b) {
    const GenerationRequest& r = requests[begin + b];
    rows.push_back({begin + b, Sampler(options_.sampling, derive_seed(options_.seed, r.stream)), &r.prime,
                    std::min<int64_t>({options_.prime, int64_t(r.prime.size()), max_tokens_}), source.bar_total[b],
                    grammar_ ? grammar_->grammar.start() : tokenizer::Grammar::State(0), false});
  }
  return rows;
}

void Generator::generate_batch(const std::vector<GenerationRequest>& requests, size_t begin, size_t end,
                               std::vector<GeneratedSequence>& out, const std::function<void(int64_t)>& on_tokens) {
  torch::NoGradGuard no_grad;
  SourceBatch source = source_batch(requests, begin, end);
  std::vector<RowState> rows = row_states(requests, begin, source);
  model::Decoding decoding(model_, time_, source.tensors, std::move(source.bar_chords),
                           {max_tokens_, options_.use_cache, options_.precision});
  const std::vector<model::Decoding::Row> decoded = decoding.run(
      [&](int64_t b, int64_t t, const float* logits, const model::MusicalTime::Clock& clock) {
        return choose_token(rows[size_t(b)], t, logits, clock);
      },
      on_tokens);
  for (size_t b = 0; b < rows.size(); ++b) {
    GeneratedSequence& g = out[rows[b].index];
    g = GeneratedSequence();
    g.tokens.assign(decoded[b].tokens.begin(), decoded[b].tokens.end());
    g.primed = rows[b].prime_len;
    g.ended = decoded[b].ended;
    g.grammar_broken = rows[b].grammar_broken;
  }
}

int64_t Generator::choose_token(RowState& row, int64_t t, const float* logits, const model::MusicalTime::Clock& clock) {
  const int64_t vocab = model_->config().vocab_size;
  int64_t id;
  if (t < row.prime_len) {
    id = (*row.prime)[size_t(t)];
    ACC_CHECK(id > 0 && id < vocab, "generation",
              fmt::format("sample {}: prime id {} outside 1..{}", row.index, id, vocab - 1));
  } else {
    id = sample_token(row, logits, clock.bars_seen);
  }
  if (grammar_ && !row.grammar_broken) {
    // A primed id comes from a reference, which may stack more notes at an onset than the limit.
    const tokenizer::Grammar& grammar = grammar_->grammar;
    row.grammar_state = t < row.prime_len ? grammar.next_lenient(row.grammar_state, tokenizer::TokenId(id))
                                          : grammar.next(row.grammar_state, tokenizer::TokenId(id));
    if (row.grammar_state == tokenizer::Grammar::kDead) row.grammar_broken = true;  // only a primed id can do this
  }
  return id;
}

// `mask_` as a copy of what is allowed so far, to be narrowed further.
uint8_t* Generator::narrowed(const uint8_t*& allowed) {
  if (allowed != mask_.data()) std::copy(allowed, allowed + mask_.size(), mask_.begin());
  allowed = mask_.data();
  return mask_.data();
}

int64_t Generator::sample_token(RowState& row, const float* logits, int64_t bars_seen) {
  const size_t vocab = always_allowed_.size();
  const bool grammar_on = grammar_ && !row.grammar_broken;
  mask_.resize(vocab);
  const uint8_t* allowed = always_allowed_.data();
  if (grammar_on) {
    const uint8_t* g_mask = grammar_->grammar.mask(row.grammar_state);
    for (size_t v = 0; v < vocab; ++v)
      mask_[v] = uint8_t(always_allowed_[v] && v < grammar_->grammar.vocab_size() && g_mask[v]);
    allowed = mask_.data();
  }
  if (options_.end_with_source && bars_seen < row.bar_total)
    narrowed(allowed)[size_t(model::kEos)] = 0;  // too early to end: the source has bars left
  const int64_t id = row.sampler.sample(logits, vocab, allowed);
  // A token that would open a bar past the source's last one ends the part
  // instead (masking it would leave the model piling notes into the last
  // bar), unless the grammar cannot end here: then a note group is finished
  // first, drawn again without bar-opening ids.
  const int64_t room = row.bar_total - bars_seen;
  if (!options_.bars_within_source || time_.bar_count(id) <= room) return id;
  if (!grammar_on || grammar_->grammar.may_end(row.grammar_state)) return model::kEos;
  uint8_t* m = narrowed(allowed);
  bool any = false;
  for (size_t v = 0; v < vocab; ++v) {
    if (time_.bar_count(int64_t(v)) > room) m[v] = 0;
    any = any || m[v];
  }
  return any ? row.sampler.sample(logits, vocab, m) : model::kEos;
}

}  // namespace acc::generate
