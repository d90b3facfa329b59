#include "accompanist/generate/generator.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "accompanist/model/bar_alignment.h"
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
  bar_counts_ = tokenizer.bar_counts();
  bar_counts_.resize(size_t(c.vocab_size), 0);
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

void Generator::generate_batch(const std::vector<GenerationRequest>& requests, size_t begin, size_t end,
                               std::vector<GeneratedSequence>& out, const std::function<void(int64_t)>& on_tokens) {
  torch::NoGradGuard no_grad;
  const model::ModelConfig& c = model_->config();
  const int64_t batch = int64_t(end - begin);
  const int64_t vocab = c.vocab_size;
  const torch::Device device = model_->parameters().empty() ? torch::kCPU : model_->parameters().front().device();
  const auto long_options = torch::dtype(torch::kInt64);

  // Source [B, S], PAD after each source, cut to max_len.
  int64_t source_len = 0;
  for (size_t i = begin; i < end; ++i) {
    ACC_CHECK(!requests[i].source.empty(), "generation", fmt::format("sample {} has an empty source", i));
    source_len = std::max<int64_t>(source_len, std::min<int64_t>(int64_t(requests[i].source.size()), c.max_len));
  }
  torch::Tensor source = torch::zeros({batch, source_len}, long_options);  // [B, S]
  auto* src = source.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto& s = requests[begin + size_t(b)].source;
    for (int64_t k = 0; k < std::min<int64_t>(int64_t(s.size()), c.max_len); ++k) {
      ACC_CHECK(s[size_t(k)] > 0 && s[size_t(k)] < vocab, "generation",
                fmt::format("sample {}: source id {} outside 1..{}", begin + size_t(b), s[size_t(k)], vocab - 1));
      src[b * source_len + k] = s[size_t(k)];
    }
  }
  // Musical time: the bar of every source token, and how many bars the source has.
  const bool aligned = c.needs_bars();
  std::vector<int64_t> source_bar_total(static_cast<size_t>(batch), 0);
  torch::Tensor source_bars = torch::zeros({batch, source_len}, long_options);  // [B, S]
  int64_t* sbar = source_bars.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b)  // one pass: each token's bar, and the row's Bar count at the end
    for (int64_t k = 0; k < source_len; ++k)
      sbar[b * source_len + k] =
          model::next_bar_index(source_bar_total[size_t(b)], src[b * source_len + k], bar_counts_);
  // Harmony: the chord of every source bar (chord conditioning), per token.
  const bool chorded = c.chord_conditioning.enabled();
  std::vector<std::vector<int32_t>> bar_chords(static_cast<size_t>(batch));
  torch::Tensor source_chords;  // [B, S]
  if (chorded) {
    source_chords = torch::zeros({batch, source_len}, long_options);
    for (int64_t b = 0; b < batch; ++b) {
      const auto& s = requests[begin + size_t(b)].source;
      bar_chords[size_t(b)] = tokenizer::bar_chord_ids(
          tokenizer_, tokenizer::TokenSeq(s.begin(), s.begin() + std::min<int64_t>(int64_t(s.size()), c.max_len)));
      const auto row = tokenizer::chords_at(std::vector<int64_t>(sbar + b * source_len, sbar + (b + 1) * source_len),
                                            bar_chords[size_t(b)]);
      std::copy(row.begin(), row.end(), source_chords.data_ptr<int64_t>() + b * source_len);
    }
    source_chords = source_chords.to(device);
  }
  source = source.to(device);
  source_bars = aligned ? source_bars.to(device) : torch::Tensor();

  // Per-row state, indexed by the row's place in the batch (0..B-1).
  std::vector<Sampler> samplers;
  std::vector<tokenizer::Grammar::State> states(size_t(batch), 0);
  std::vector<int64_t> prime_len(static_cast<size_t>(batch));
  std::vector<int64_t> bars_seen(static_cast<size_t>(batch), 0);  // Bar tokens in each row's decoder input
  std::vector<int64_t> input_bar(static_cast<size_t>(batch), 0);  // the bar of each row's last decoder input
  for (int64_t b = 0; b < batch; ++b) {
    const GenerationRequest& r = requests[begin + size_t(b)];
    samplers.emplace_back(options_.sampling, derive_seed(options_.seed, r.stream));
    prime_len[size_t(b)] = std::min<int64_t>({options_.prime, int64_t(r.prime.size()), max_tokens_});
    GeneratedSequence& g = out[begin + size_t(b)];
    g = GeneratedSequence();
    g.primed = prime_len[size_t(b)];
    if (grammar_) states[size_t(b)] = grammar_->grammar.start();
  }

  std::vector<int64_t> active(static_cast<size_t>(batch));  // batch rows still generating, in decoder row order
  for (int64_t b = 0; b < batch; ++b) active[size_t(b)] = b;
  std::unique_ptr<model::IncrementalDecoder> decoder;
  torch::Tensor history;         // [B', t+1] decoder input for the recomputing path
  torch::Tensor history_bars;    // [B', t+1] its bar indices (aligned models)
  torch::Tensor history_chords;  // [B', t+1] the source chord of each position's bar (chord conditioning)
  torch::Tensor memory;          // [B', S, d] its encoder output (the encoder runs once either way)
  torch::Tensor tokens = torch::full({batch}, model::kBos, long_options).to(device);  // [B']
  if (options_.use_cache)
    decoder = std::make_unique<model::IncrementalDecoder>(model_, source, max_tokens_, source_bars, source_chords,
                                                          options_.precision);
  else {
    history = tokens.view({batch, 1});
    if (aligned) history_bars = torch::zeros({batch, 1}, long_options).to(device);
    memory = model_->encode(source, source_bars, source_chords);
  }

  std::vector<uint8_t> mask(static_cast<size_t>(vocab));
  // The bar of each active row's last decoder input, [B'] on the device.
  auto active_bars = [&] {
    std::vector<int64_t> bars;
    for (int64_t b : active) bars.push_back(input_bar[size_t(b)]);
    return torch::tensor(bars, long_options).to(device);
  };
  // The source chord of each active row's current bar, [B'] on the device.
  auto active_chords = [&] {
    std::vector<int64_t> chords;
    for (int64_t b : active) chords.push_back(model::chord_of_bar(bar_chords[size_t(b)], input_bar[size_t(b)]));
    return torch::tensor(chords, long_options).to(device);
  };
  if (!decoder && chorded) history_chords = active_chords().view({-1, 1});
  for (int64_t t = 0; t < max_tokens_ && !active.empty(); ++t) {
    torch::Tensor logits;  // [B', V]
    if (decoder) {
      logits =
          decoder->step(tokens, aligned ? active_bars() : torch::Tensor(), chorded ? active_chords() : torch::Tensor());
    } else {
      logits = model_->decode(history, memory, source, {source_bars, history_bars, source_chords, history_chords})
                   .select(1, -1);
    }
    const torch::Tensor host = logits.to(torch::kCPU, torch::kFloat).contiguous();
    const float* data = host.data_ptr<float>();

    std::vector<int64_t> keep, next;
    int64_t made = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      const int64_t b = active[i];
      const GenerationRequest& r = requests[begin + size_t(b)];
      GeneratedSequence& g = out[begin + size_t(b)];
      int64_t id;
      if (t < prime_len[size_t(b)]) {
        id = r.prime[size_t(t)];
        ACC_CHECK(id > 0 && id < vocab, "generation",
                  fmt::format("sample {}: prime id {} outside 1..{}", begin + size_t(b), id, vocab - 1));
      } else {
        const uint8_t* allowed = always_allowed_.data();
        // `mask` as a copy of what is allowed so far, to be narrowed further.
        auto narrowable = [&] {
          if (allowed != mask.data()) std::copy(allowed, allowed + vocab, mask.begin());
          allowed = mask.data();
          return mask.data();
        };
        if (grammar_ && !g.grammar_broken) {
          const uint8_t* g_mask = grammar_->grammar.mask(states[size_t(b)]);
          for (size_t v = 0; v < size_t(vocab); ++v)
            mask[v] = uint8_t(always_allowed_[v] && v < grammar_->grammar.vocab_size() && g_mask[v]);
          allowed = mask.data();
        }
        if (options_.end_with_source && bars_seen[size_t(b)] < source_bar_total[size_t(b)]) {
          narrowable()[size_t(model::kEos)] = 0;  // too early to end: the source has bars left
        }
        id = samplers[size_t(b)].sample(data + int64_t(i) * vocab, size_t(vocab), allowed);
        // A token that would open a bar past the source's last one ends the part
        // instead (masking it would leave the model piling notes into the last
        // bar), unless the grammar cannot end here: then a note group is
        // finished first, drawn again without bar-opening ids.
        const int64_t room = source_bar_total[size_t(b)] - bars_seen[size_t(b)];
        if (options_.bars_within_source && bar_counts_[size_t(id)] > room) {
          const bool grammar_on = grammar_ && !g.grammar_broken;
          if (!grammar_on || grammar_->grammar.may_end(states[size_t(b)])) {
            id = model::kEos;
          } else {
            uint8_t* m = narrowable();
            bool any = false;
            for (size_t v = 0; v < size_t(vocab); ++v) {
              if (bar_counts_[v] > room) m[v] = 0;
              any = any || m[v];
            }
            id = any ? samplers[size_t(b)].sample(data + int64_t(i) * vocab, size_t(vocab), m) : model::kEos;
          }
        }
      }
      if (grammar_ && !g.grammar_broken) {
        // A primed id comes from a reference, which may stack more notes at an onset than the limit.
        const tokenizer::Grammar& grammar = grammar_->grammar;
        states[size_t(b)] = t < prime_len[size_t(b)] ? grammar.next_lenient(states[size_t(b)], tokenizer::TokenId(id))
                                                     : grammar.next(states[size_t(b)], tokenizer::TokenId(id));
        if (states[size_t(b)] == tokenizer::Grammar::kDead) g.grammar_broken = true;  // only a primed id can do this
      }
      if (id == model::kEos) {
        g.ended = true;
        continue;
      }
      input_bar[size_t(b)] = model::next_bar_index(bars_seen[size_t(b)], id, bar_counts_);
      g.tokens.push_back(tokenizer::TokenId(id));
      ++made;
      if (int64_t(g.tokens.size()) >= max_tokens_) continue;
      keep.push_back(int64_t(i));
      next.push_back(id);
    }
    if (on_tokens) on_tokens(made);
    if (keep.empty()) break;
    torch::Tensor next_tokens = torch::tensor(next, long_options).to(device);  // [B'']
    if (keep.size() != active.size()) {
      torch::Tensor rows = torch::tensor(keep, long_options).to(device);
      if (decoder)
        decoder->select(rows);
      else {
        source = source.index_select(0, rows);
        memory = memory.index_select(0, rows);
        history = history.index_select(0, rows);
        if (aligned) {
          source_bars = source_bars.index_select(0, rows);
          history_bars = history_bars.index_select(0, rows);
        }
        if (chorded) {
          source_chords = source_chords.index_select(0, rows);
          history_chords = history_chords.index_select(0, rows);
        }
      }
      std::vector<int64_t> still;
      for (int64_t i : keep) still.push_back(active[size_t(i)]);
      active.swap(still);
    }
    tokens = next_tokens;
    if (!decoder) {
      history = torch::cat({history, tokens.view({-1, 1})}, 1);  // [B'', t+2]
      if (aligned) history_bars = torch::cat({history_bars, active_bars().view({-1, 1})}, 1);
      if (chorded) history_chords = torch::cat({history_chords, active_chords().view({-1, 1})}, 1);
    }
  }
}

}  // namespace acc::generate
