// The trainer's samples (write_training_samples) are what `accompanist
// generate` makes with greedy sampling and no other rule: the written
// samples.jsonl is read back and compared with a generate::Generator run on
// the same model, for a plain model and one that reads bars and chords.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "accompanist/generate/generator.h"
#include "accompanist/tokenizer/bar_chords.h"
#include "common/scratch_dir.h"
#include "common/test_tokenizers.h"
#include "train/sample_writer.h"

namespace {

namespace tk = acc::tokenizer;
namespace fs = std::filesystem;
using acc::testing::test_tokenizer;  // BPE ids, one of them opening a bar

acc::model::Seq2SeqTransformer random_model(int64_t vocab, bool musical) {
  torch::manual_seed(11);
  acc::model::ModelConfig c;
  c.d_model = 16;
  c.enc_layers = 1;
  c.dec_layers = 2;
  c.heads = 2;
  c.ff = 24;
  c.max_len = 40;
  c.max_relative_distance = 12;
  c.vocab_size = vocab;
  c.bar_alignment.embeddings = c.bar_alignment.window = musical;
  c.chord_conditioning.source = c.chord_conditioning.target = musical;
  acc::model::Seq2SeqTransformer m(c);
  torch::NoGradGuard no_grad;
  m->out_proj->weight.mul_(4.0);       // peaked, varied distributions
  m->out_proj->bias[tk::kBar] += 1.0;  // parts that open bars
  return m;
}

tk::TokenSeq random_part(const tk::Tokenizer& tok, std::mt19937& rng, int notes) {
  std::vector<acc::midi::Note> n;
  for (int i = 0; i < notes; ++i) {
    const int64_t start = int64_t(rng() % 64) * 48;
    n.push_back({int(36 + rng() % 30), int(40 + rng() % 80), start, start + 48 * int64_t(1 + rng() % 8)});
  }
  return tok.encode(n, 384);
}

void expect_samples_are_greedy_generation(bool musical) {
  const tk::Tokenizer tok = test_tokenizer();
  auto model = random_model(int64_t(tok.vocab_size()), musical);
  const acc::model::MusicalTime time(model->config(), tok.bar_counts());
  std::mt19937 rng(5);
  std::vector<acc::train::TokenExample> examples;
  std::vector<acc::generate::GenerationRequest> requests;
  std::vector<uint32_t> indices;
  for (int i = 0; i < 5; ++i) {
    const tk::TokenSeq source = random_part(tok, rng, 3 + 2 * i), target = random_part(tok, rng, 4);
    examples.push_back({{source.begin(), source.end()}, {target.begin(), target.end()}, {}});
    if (time.chords()) examples.back().source_bar_chords = tk::bar_chord_ids(tok, source);
    requests.push_back({uint64_t(i), source, {}});
    indices.push_back(uint32_t(10 * i));
  }
  const acc::testing::ScratchDir scratch("sample_writer");
  const fs::path dir = scratch.path();
  model->train();  // the writer switches to eval mode and back
  acc::train::write_training_samples(model, examples, indices, dir.string(), 30, "", time);
  EXPECT_TRUE(model->is_training());

  acc::generate::GenerationOptions options;
  options.sampling.temperature = 0;  // greedy
  options.max_tokens = 30;
  options.batch_size = 2;  // other batches than the writer's: the same tokens
  options.bars_within_source = options.end_with_source = false;
  acc::generate::Generator generator(model, tok, options);
  const auto generated = generator.generate(requests);

  std::ifstream in(dir / "samples.jsonl");
  std::string line;
  size_t n = 0, tokens = 0;
  for (; std::getline(in, line); ++n) {
    ASSERT_LT(n, examples.size());
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("index").get<uint32_t>(), indices[n]);
    EXPECT_EQ(j.at("source").get<std::vector<int64_t>>(), examples[n].source);
    EXPECT_EQ(j.at("reference").get<std::vector<int64_t>>(), examples[n].target);
    const std::vector<int64_t> expected(generated[n].tokens.begin(), generated[n].tokens.end());
    EXPECT_EQ(j.at("generated").get<std::vector<int64_t>>(), expected) << "sample " << n;
    tokens += expected.size();
  }
  EXPECT_EQ(n, examples.size());
  EXPECT_GT(tokens, 10u);
}

TEST(SampleWriter, WritesWhatAGreedyGeneratorMakes) {
  expect_samples_are_greedy_generation(false);
}

TEST(SampleWriter, WritesWhatAGreedyGeneratorMakesWithBarsAndChords) {
  expect_samples_are_greedy_generation(true);
}

}  // namespace
