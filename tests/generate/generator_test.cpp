// Generation on tiny random models: the cached, batched generator against a
// plain full-recompute loop written here (greedy: the same tokens), the
// generator's own recompute path under sampling (rows finishing at different
// steps), grammar masking (0 grammar errors even from an untrained model),
// priming, token limits and reproducibility.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "accompanist/generate/generator.h"
#include "accompanist/tokenizer/decoded_part.h"
#include "accompanist/tokenizer/grammar.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/util/error.h"
#include "common/test_tokenizers.h"

namespace {

using acc::generate::GeneratedSequence;
using acc::generate::GenerationOptions;
using acc::generate::GenerationRequest;
using acc::generate::Generator;
using acc::testing::test_tokenizer;
using acc::tokenizer::TokenSeq;
namespace tk = acc::tokenizer;

// The exact equalities below (cache = recompute, any batch) hold in fp32; on a
// CPU with native bf16, auto would run the cached path's encoder pass in bf16.
GenerationOptions fp32_options() {
  GenerationOptions o;
  o.precision = "fp32";
  return o;
}

acc::model::Seq2SeqTransformer random_model(int64_t vocab, uint64_t seed, int64_t max_len = 48, bool aligned = false) {
  torch::manual_seed(seed);
  acc::model::ModelConfig c;
  c.d_model = 16;
  c.enc_layers = 1;
  c.dec_layers = 2;
  c.heads = 2;
  c.ff = 24;
  c.dropout = 0.1;  // eval mode must switch it off
  c.max_len = max_len;
  c.max_relative_distance = 12;
  c.vocab_size = vocab;
  c.bar_alignment.embeddings = c.bar_alignment.window = c.bar_alignment.bias = aligned;
  acc::model::Seq2SeqTransformer m(c);
  // Larger output weights than the default init: peaked, varied distributions.
  torch::NoGradGuard no_grad;
  m->out_proj->weight.mul_(4.0);
  return m;
}

// Valid REMI from random notes (a bar or two of a bass line), BPE-encoded.
TokenSeq random_part(const tk::Tokenizer& tok, std::mt19937& rng, int notes) {
  std::vector<acc::midi::Note> n;
  for (int i = 0; i < notes; ++i) {
    const int64_t start = int64_t(rng() % 64) * 48;
    n.push_back({int(36 + rng() % 30), int(40 + rng() % 80), start, start + 48 * int64_t(1 + rng() % 8)});
  }
  return tok.encode(n, 384);
}

std::vector<GenerationRequest> requests(const tk::Tokenizer& tok, int n, uint64_t seed) {
  std::mt19937 rng{static_cast<uint32_t>(seed)};
  std::vector<GenerationRequest> out;
  for (int i = 0; i < n; ++i) {
    GenerationRequest r;
    r.stream = uint64_t(i);
    r.source = random_part(tok, rng, 3 + i % 7);
    r.prime = random_part(tok, rng, 4 + i % 5);
    out.push_back(r);
  }
  return out;
}

// The reference: one sample at a time, the whole decoder input every step,
// argmax over the ids that may be output.
TokenSeq naive_greedy(acc::model::Seq2SeqTransformer& model, const TokenSeq& source, int64_t max_tokens,
                      size_t tokenizer_vocab) {
  torch::NoGradGuard no_grad;
  model->eval();
  torch::Tensor src = torch::tensor(std::vector<int64_t>(source.begin(), source.end())).view({1, -1});  // [1, S]
  std::vector<int64_t> input = {acc::model::kBos};
  TokenSeq out;
  while (int64_t(out.size()) < max_tokens) {
    torch::Tensor logits = model->forward(src, torch::tensor(input).view({1, -1}))[0][-1];  // [V]
    logits = logits.clone();
    logits.slice(0, int64_t(tokenizer_vocab)).fill_(-INFINITY);
    for (int64_t id : {tk::kPad, tk::kBos, tk::kMask}) logits[id] = -INFINITY;
    const int64_t id = logits.argmax().item<int64_t>();
    if (id == acc::model::kEos) break;
    out.push_back(tk::TokenId(id));
    input.push_back(id);
  }
  return out;
}

TEST(Generator, CachedBatchedGreedyEqualsFullRecompute) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()) + 3, 1);  // model vocabulary larger than the tokenizer's
  const auto reqs = requests(tok, 5, 1);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 0;
  o.max_tokens = 30;
  o.batch_size = 3;              // a full batch and a partial one
  o.bars_within_source = false;  // naive_greedy has no bar limits
  o.end_with_source = false;
  Generator gen(model, tok, o);
  const auto cached = gen.generate(reqs);
  o.use_cache = false;
  const auto recomputed = Generator(model, tok, o).generate(reqs);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const TokenSeq expected = naive_greedy(model, reqs[i].source, 30, tok.vocab_size());
    EXPECT_EQ(cached[i].tokens, expected) << i;
    EXPECT_EQ(recomputed[i].tokens, expected) << i;
    EXPECT_EQ(cached[i].ended, int64_t(expected.size()) < 30);
    EXPECT_EQ(cached[i].primed, 0);
  }
}

TEST(Generator, SamplingWithRowsFinishingAtDifferentStepsMatchesRecompute) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 2);
  {
    torch::NoGradGuard no_grad;
    model->out_proj->bias[acc::model::kEos] += 5.0;  // EOS now and then: rows leave the batch early
  }
  const auto reqs = requests(tok, 12, 2);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 1.0;
  o.sampling.top_k = 20;
  o.max_tokens = 40;
  o.batch_size = 12;
  o.seed = 5;
  const auto cached = Generator(model, tok, o).generate(reqs);
  o.use_cache = false;
  const auto recomputed = Generator(model, tok, o).generate(reqs);
  std::set<size_t> lengths;
  int ended = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(cached[i].tokens, recomputed[i].tokens) << i;
    EXPECT_LE(cached[i].tokens.size(), 40u);
    if (!cached[i].ended) {
      EXPECT_EQ(cached[i].tokens.size(), 40u);
    }
    ended += cached[i].ended;
    lengths.insert(cached[i].tokens.size());
  }
  EXPECT_GE(ended, 3);  // the test means something only if rows were dropped
  EXPECT_GE(lengths.size(), 3u);
}

TEST(Generator, ReproducibleAndIndependentOfTheBatch) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 3);
  const auto reqs = requests(tok, 6, 3);
  GenerationOptions o = fp32_options();
  o.sampling.top_p = 0.9;
  o.max_tokens = 25;
  o.seed = 11;
  o.batch_size = 6;
  const auto a = Generator(model, tok, o).generate(reqs);
  torch::manual_seed(999);  // LibTorch's generator plays no part
  const auto b = Generator(model, tok, o).generate(reqs);
  o.batch_size = 1;
  const auto c = Generator(model, tok, o).generate(reqs);
  o.seed = 12;
  o.batch_size = 6;
  const auto d = Generator(model, tok, o).generate(reqs);
  int differ = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    EXPECT_EQ(a[i].tokens, c[i].tokens);
    differ += a[i].tokens != d[i].tokens;
  }
  EXPECT_GT(differ, 0);
}

TEST(Generator, GrammarMaskGivesNoGrammarErrorsFromARandomModel) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 4, 64);
  const auto reqs = requests(tok, 8, 4);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 1.0;
  o.max_tokens = 64;
  o.grammar_mask = true;
  const auto masked = Generator(model, tok, o).generate(reqs);
  const tk::Grammar grammar(tok.bpe());
  int64_t tokens = 0, notes = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto d = tk::decode_part(tok, masked[i].tokens);
    EXPECT_EQ(d.grammar_errors, 0) << i;
    EXPECT_EQ(tk::count_grammar_errors(tok.decode_bpe(masked[i].tokens)), 0) << i;
    EXPECT_NE(grammar.run(masked[i].tokens), tk::Grammar::kDead) << i;
    EXPECT_FALSE(masked[i].grammar_broken);
    if (masked[i].ended) {
      EXPECT_TRUE(grammar.may_end(grammar.run(masked[i].tokens))) << i;
    }
    tokens += int64_t(masked[i].tokens.size());
    notes += int64_t(d.notes.size());
  }
  EXPECT_GT(tokens, 100);
  EXPECT_GT(notes, 0);

  o.grammar_mask = false;
  const auto free = Generator(model, tok, o).generate(reqs);
  int64_t errors = 0, free_tokens = 0, unrepairable = 0;
  for (const auto& g : free) {
    const auto d = tk::decode_part(tok, g.tokens);
    errors += d.grammar_errors;
    free_tokens += d.tokens;
    unrepairable += d.unrepairable();
  }
  const double rate = double(errors) / double(free_tokens);
  std::printf("unmasked random model: grammar error rate %.3f over %lld tokens, %lld/%zu unrepairable\n", rate,
              static_cast<long long>(free_tokens), static_cast<long long>(unrepairable), free.size());
  RecordProperty("unmasked_error_rate", std::to_string(rate));
  EXPECT_GT(rate, 0.05);  // an untrained model breaks the grammar all the time
}

TEST(Generator, PrimingForcesTheReferenceStart) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 5, 64);
  auto reqs = requests(tok, 4, 5);
  reqs[3].prime.resize(4);  // shorter than --prime: all of it is used
  for (bool mask : {false, true}) {
    GenerationOptions o = fp32_options();
    o.sampling.top_k = 3;
    o.prime = 10;
    o.max_tokens = 50;
    o.grammar_mask = mask;
    const auto out = Generator(model, tok, o).generate(reqs);
    for (size_t i = 0; i < reqs.size(); ++i) {
      const size_t n = std::min<size_t>(10, reqs[i].prime.size());
      ASSERT_GE(out[i].tokens.size(), n);
      EXPECT_EQ(out[i].primed, int64_t(n));
      EXPECT_EQ(TokenSeq(out[i].tokens.begin(), out[i].tokens.begin() + long(n)),
                TokenSeq(reqs[i].prime.begin(), reqs[i].prime.begin() + long(n)));
      if (mask) {
        EXPECT_EQ(tk::decode_part(tok, out[i].tokens).grammar_errors, 0);
      }
    }
  }
}

TEST(Generator, LimitsAndBadInput) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 6, 20);
  auto reqs = requests(tok, 2, 6);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 0;
  o.max_tokens = 1000;  // capped at max_len
  Generator gen(model, tok, o);
  EXPECT_EQ(gen.max_tokens(), 20);
  for (const auto& g : gen.generate(reqs)) EXPECT_LE(g.tokens.size(), 20u);
  reqs[1].source.assign(100, tk::kBar);  // longer than max_len: cut
  EXPECT_NO_THROW(gen.generate(reqs));
  reqs[1].source.clear();
  EXPECT_THROW(gen.generate(reqs), acc::Error);
  reqs[1].source = {tk::kBar, 5000};
  EXPECT_THROW(gen.generate(reqs), acc::Error);
  auto small = random_model(100, 7);
  EXPECT_THROW(Generator(small, tok, o), acc::Error);  // vocabulary smaller than the tokenizer's
}

// The one token-limit rule of the generator and the generate run.
TEST(Generator, TokenLimit) {
  const tk::Tokenizer tok = test_tokenizer();
  const acc::model::ModelConfig c = random_model(int64_t(tok.vocab_size()), 6, 20)->config();
  EXPECT_EQ(acc::generate::token_limit(c, tok, 0), 20);  // 0: the model's max_len
  EXPECT_EQ(acc::generate::token_limit(c, tok, 7), 7);
  EXPECT_EQ(acc::generate::token_limit(c, tok, 1000), 20);
  EXPECT_THROW(acc::generate::token_limit(c, tok, -1), acc::Error);
  const acc::model::ModelConfig small = random_model(100, 7)->config();
  try {
    acc::generate::token_limit(small, tok, 0, "run/ckpt");
    ADD_FAILURE() << "a vocabulary smaller than the tokenizer's was accepted";
  } catch (const acc::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("run/ckpt: the model's vocabulary (100) is smaller", 0), 0u) << e.what();
  }
}

int64_t count_bars(const tk::Tokenizer& tok, const TokenSeq& ids) {
  const std::vector<int32_t> counts = tok.bar_counts();
  int64_t n = 0;
  for (tk::TokenId id : ids) n += counts[size_t(id)];
  return n;
}

// A model that loves Bar tokens: without the limit its parts run past the
// source; with it no part opens more bars than its source, with or without
// the grammar mask (which then still ends every part on a complete note).
TEST(Generator, NeverOpensMoreBarsThanTheSource) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 8, 64);
  {
    torch::NoGradGuard no_grad;
    model->out_proj->bias[tk::kBar] += 8.0;
    model->out_proj->bias[acc::model::kEos] -= 10.0;
  }
  const auto reqs = requests(tok, 8, 8);
  const tk::Grammar grammar(tok.bpe());
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 1.0;
  o.max_tokens = 64;
  o.bars_within_source = false;
  const auto free = Generator(model, tok, o).generate(reqs);
  int over = 0;
  for (size_t i = 0; i < reqs.size(); ++i) over += count_bars(tok, free[i].tokens) > count_bars(tok, reqs[i].source);
  EXPECT_GE(over, 4);  // the test can fail
  o.bars_within_source = true;
  for (bool mask : {false, true}) {
    o.grammar_mask = mask;
    const auto limited = Generator(model, tok, o).generate(reqs);
    for (size_t i = 0; i < reqs.size(); ++i) {
      const int64_t source_bars = count_bars(tok, reqs[i].source);
      ASSERT_GE(source_bars, 1);
      EXPECT_LE(count_bars(tok, limited[i].tokens), source_bars) << i;
      EXPECT_TRUE(limited[i].ended) << i;  // the limit, not the token budget, ended it
      if (mask) {
        EXPECT_TRUE(grammar.may_end(grammar.run(limited[i].tokens))) << i;
      }
    }
  }
}

// A bar-aligned model gets the bar of every source token and decoder input:
// the cached generator and the full recompute draw the same tokens.
TEST(Generator, BarAlignedModelCachedEqualsRecompute) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 9, 48, /*aligned=*/true);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().find("bar") != std::string::npos) p.value().normal_();
    model->out_proj->bias[tk::kBar] += 2.0;  // several bars in 40 tokens
  }
  const auto reqs = requests(tok, 6, 9);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 1.0;
  o.max_tokens = 40;
  o.batch_size = 6;
  o.seed = 3;
  o.bars_within_source = false;
  const auto cached = Generator(model, tok, o).generate(reqs);
  o.use_cache = false;
  const auto recomputed = Generator(model, tok, o).generate(reqs);
  int64_t bars = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(cached[i].tokens, recomputed[i].tokens) << i;
    bars += count_bars(tok, cached[i].tokens);
  }
  EXPECT_GT(bars, 6);
}

// A model that loves EOS: without the rule its parts end early; with it
// every part that ends has as many bars as its source.
TEST(Generator, DoesNotEndBeforeTheSourceDoes) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 10, 64);
  {
    torch::NoGradGuard no_grad;
    model->out_proj->bias[acc::model::kEos] += 6.0;
    model->out_proj->bias[tk::kBar] += 3.0;
  }
  const auto reqs = requests(tok, 8, 10);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 1.0;
  o.max_tokens = 64;
  o.end_with_source = false;
  const auto free = Generator(model, tok, o).generate(reqs);
  int early = 0;
  for (size_t i = 0; i < reqs.size(); ++i)
    early += free[i].ended && count_bars(tok, free[i].tokens) < count_bars(tok, reqs[i].source);
  EXPECT_GE(early, 4);  // the test can fail
  o.end_with_source = true;
  const auto held = Generator(model, tok, o).generate(reqs);
  int ended = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (held[i].ended) {
      ++ended;
      EXPECT_EQ(count_bars(tok, held[i].tokens), count_bars(tok, reqs[i].source)) << i;
    } else {
      EXPECT_EQ(held[i].tokens.size(), 64u) << i;  // only the token limit stops it earlier
    }
  }
  EXPECT_GE(ended, 4);
}

// The most notes any onset (Position) of a part holds, from the base expansion.
int max_notes_at_an_onset(const tk::Tokenizer& tok, const TokenSeq& ids) {
  int most = 0, here = 0;
  for (tk::TokenId id : tok.decode_bpe(ids)) {
    const tk::TokenType type = tk::Vocabulary::type(id);
    if (type == tk::TokenType::Position || type == tk::TokenType::Bar) here = 0;
    if (type == tk::TokenType::Pitch) most = std::max(most, ++here);
  }
  return most;
}

// A model that loves Pitch tokens stacks notes at every onset under the plain
// grammar mask; with one note per onset no onset holds two, and a primed
// chord neither breaks the mask nor lets the model add to it.
TEST(Generator, OneNotePerOnsetFromAModelThatStacks) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), 11, 64);
  {
    torch::NoGradGuard no_grad;
    model->out_proj->bias.slice(0, tk::kPitchBase, tk::kPitchBase + tk::kNumPitches) += 6.0;
    model->out_proj->bias[acc::model::kEos] -= 10.0;
  }
  auto reqs = requests(tok, 8, 11);
  // A prime that ends on a two-note chord.
  reqs[0].prime = tok.encode({{45, 90, 0, 192}, {40, 90, 384, 576}, {47, 90, 384, 576}}, 384);
  ASSERT_EQ(max_notes_at_an_onset(tok, reqs[0].prime), 2);
  GenerationOptions o = fp32_options();
  o.sampling.temperature = 1.0;
  o.max_tokens = 64;
  o.grammar_mask = true;
  const auto stacked = Generator(model, tok, o).generate(reqs);
  int stacking = 0;
  for (const auto& g : stacked) stacking += max_notes_at_an_onset(tok, g.tokens) >= 2;
  EXPECT_GE(stacking, 6);  // the test can fail

  o.max_notes_per_onset = 1;
  const auto single = Generator(model, tok, o).generate(reqs);
  const tk::Grammar grammar(tok.bpe(), 1);
  int64_t notes = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(max_notes_at_an_onset(tok, single[i].tokens), 1) << i;
    EXPECT_NE(grammar.run(single[i].tokens), tk::Grammar::kDead) << i;
    EXPECT_EQ(tk::decode_part(tok, single[i].tokens).grammar_errors, 0) << i;
    notes += int64_t(tk::decode_part(tok, single[i].tokens).notes.size());
  }
  EXPECT_GT(notes, 3 * int64_t(reqs.size()));

  o.prime = 100;  // the whole chord prime: forced, then one note per onset again
  const auto primed = Generator(model, tok, o).generate({reqs[0]});
  ASSERT_GT(primed[0].tokens.size(), reqs[0].prime.size());
  EXPECT_FALSE(primed[0].grammar_broken);
  const TokenSeq after(primed[0].tokens.begin() + long(reqs[0].prime.size()), primed[0].tokens.end());
  EXPECT_EQ(max_notes_at_an_onset(tok, primed[0].tokens), 2);  // the primed chord only
  EXPECT_NE(tk::Grammar(tok.bpe()).run(primed[0].tokens), tk::Grammar::kDead);
  int64_t added_to_chord = 0;  // pitches sampled before the chord's onset is left
  for (tk::TokenId id : tok.decode_bpe(after)) {
    const tk::TokenType type = tk::Vocabulary::type(id);
    if (type == tk::TokenType::Position || type == tk::TokenType::Bar) break;
    added_to_chord += type == tk::TokenType::Pitch;
  }
  EXPECT_EQ(added_to_chord, 0);

  o.grammar_mask = false;
  EXPECT_THROW(Generator(model, tok, o), acc::Error);  // the limit lives in the grammar mask
}

}  // namespace
