// Incremental decoding with the key/value cache against the full forward pass.
#include <gtest/gtest.h>

#include <random>

#include "accompanist/model/batch.h"
#include "accompanist/model/decoding.h"
#include "accompanist/util/error.h"
#include "model/model_test_util.h"

namespace acc::model {
namespace {

using testing::random_tokens;
using testing::tiny_config;

// Sources of different lengths (padding in the batch); the decoder is fed the
// teacher-forced target, so every step's logits must equal row t of the full pass.
TEST(IncrementalDecoder, EqualsTheFullForwardAtEveryStep) {
  torch::manual_seed(11);
  std::mt19937 rng(11);
  ModelConfig c = tiny_config();  // R = 5 < length: rows beyond R-1 get no relative term
  Seq2SeqTransformer model(c);
  model->eval();
  std::vector<std::vector<int64_t>> src = {random_tokens(rng, 4, c.vocab_size), random_tokens(rng, 13, c.vocab_size),
                                           random_tokens(rng, 1, c.vocab_size)};
  std::vector<std::vector<int64_t>> tgt = {random_tokens(rng, 15, c.vocab_size), random_tokens(rng, 15, c.vocab_size),
                                           random_tokens(rng, 15, c.vocab_size)};
  Batch b = make_batch(src, tgt, c.max_len);
  const int64_t T = b.decoder_input.size(1);
  ASSERT_EQ(T, c.max_len);

  torch::Tensor full;
  {
    torch::NoGradGuard no_grad;
    full = model(b.source, b.decoder_input);  // [B, T, V]
  }
  // A small planned capacity forces the cache to grow along the way.
  // fp32: incremental = full forward to 1e-4 holds in fp32 (auto would run the
  // encoder pass in bf16 on a CPU with native bf16).
  IncrementalDecoder decoder(model, b.source, 3, {}, {}, "fp32");
  double worst = 0.0;
  for (int64_t t = 0; t < T; ++t) {
    torch::Tensor step = decoder.step(b.decoder_input.select(1, t));  // [B, V]
    ASSERT_EQ(step.sizes(), (at::IntArrayRef{3, c.vocab_size}));
    worst = std::max(worst, (step - full.select(1, t)).abs().max().item<double>());
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  EXPECT_LT(worst, 1e-4);
  EXPECT_EQ(decoder.position(), T);
  EXPECT_THROW(decoder.step(b.decoder_input.select(1, 0)), acc::Error);  // past max_len
}

TEST(IncrementalDecoder, PaddedTargetsAndRowSelection) {
  torch::manual_seed(12);
  std::mt19937 rng(12);
  ModelConfig c = tiny_config();
  c.max_relative_distance = 40;  // larger than every length
  Seq2SeqTransformer model(c);
  model->eval();
  std::vector<std::vector<int64_t>> src = {random_tokens(rng, 6, c.vocab_size), random_tokens(rng, 2, c.vocab_size),
                                           random_tokens(rng, 9, c.vocab_size)};
  std::vector<std::vector<int64_t>> tgt = {random_tokens(rng, 3, c.vocab_size), random_tokens(rng, 8, c.vocab_size),
                                           random_tokens(rng, 5, c.vocab_size)};
  Batch b = make_batch(src, tgt, c.max_len);  // decoder input padded after each target
  torch::Tensor full;
  {
    torch::NoGradGuard no_grad;
    full = model(b.source, b.decoder_input);
  }
  IncrementalDecoder decoder(model, b.source, 0, {}, {}, "fp32");
  const int64_t T = b.decoder_input.size(1);
  for (int64_t t = 0; t < 4; ++t) {
    torch::Tensor step = decoder.step(b.decoder_input.select(1, t));
    EXPECT_LT((step - full.select(1, t)).abs().max().item<double>(), 1e-4) << "t=" << t;
  }
  // Drop the first sample and swap the others: the rest continues unchanged.
  torch::Tensor rows = torch::tensor({2, 1}, torch::kLong);
  decoder.select(rows);
  EXPECT_EQ(decoder.batch_size(), 2);
  torch::Tensor input = b.decoder_input.index_select(0, rows);
  torch::Tensor want = full.index_select(0, rows);
  for (int64_t t = 4; t < T; ++t) {
    torch::Tensor step = decoder.step(input.select(1, t));
    EXPECT_LT((step - want.select(1, t)).abs().max().item<double>(), 1e-4) << "t=" << t;
  }
}

}  // namespace
}  // namespace acc::model
