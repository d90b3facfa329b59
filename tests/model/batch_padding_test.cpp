// data.pad_to_multiple (model::pad_batch_length): a padded batch is what
// make_batch itself builds for a longer batch, and the model's loss and its
// non-PAD logits do not change.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "accompanist/model/batch.h"
#include "accompanist/util/error.h"
#include "model/model_test_util.h"

namespace acc::model {
namespace {

using testing::random_tokens;
using testing::test_bar_counts;

ModelConfig bar_chord_config() {
  return testing::tiny_chord_config();
}

TEST(BatchPadding, RoundsUpToTheMultipleWithinMaxLen) {
  using V = std::vector<std::vector<int64_t>>;
  Batch b = make_batch(V{{5, 6, 7}, {8}}, V{{5, 6, 7, 8, 9}, {4}}, 12, 10);  // S 3, T 6
  pad_batch_length(b, 4, 12);
  EXPECT_EQ(b.source.sizes(), (at::IntArrayRef{2, 4}));
  EXPECT_EQ(b.decoder_input.sizes(), (at::IntArrayRef{2, 8}));
  EXPECT_EQ(b.labels.sizes(), (at::IntArrayRef{2, 8}));
  EXPECT_TRUE(b.source.equal(torch::tensor({5, 6, 7, 0, 8, 0, 0, 0}, torch::kLong).view({2, 4})));
  EXPECT_EQ(b.source_tokens, 4);  // the counts stay the real tokens'
  EXPECT_EQ(b.label_tokens, 8);

  Batch capped = make_batch(V{{5, 6, 7, 8, 9}}, V{{5}}, 6, 10);  // S 5: rounds to 8, capped at max_len 6
  pad_batch_length(capped, 4, 6);
  EXPECT_EQ(capped.source.size(1), 6);
  EXPECT_EQ(capped.decoder_input.size(1), 4);

  Batch same = make_batch(V{{5, 6, 7, 8}}, V{{5, 6, 7}}, 12, 10);  // already multiples of 4
  pad_batch_length(same, 4, 12);
  EXPECT_EQ(same.source.size(1), 4);
  EXPECT_EQ(same.decoder_input.size(1), 4);
  EXPECT_THROW(pad_batch_length(same, 0, 12), acc::Error);
}

// Padding an existing batch gives exactly the batch make_batch builds when a
// longer pair sets the length: tokens, labels, bar indices and chords.
TEST(BatchPadding, EqualsMakeBatchPaddingIncludingBarsAndChords) {
  const ModelConfig c = bar_chord_config();
  const MusicalTime time(c, test_bar_counts(c.vocab_size));
  std::mt19937 rng(3);
  using V = std::vector<std::vector<int64_t>>;
  const V src = {{4, 5, 6, 4, 8, 4, 9}, {5, 4, 7}}, tgt = {{4, 5, 4, 6}, {4, 9}};
  const BarChords chords = {{11, 42, 7}, {3, 5}};
  Batch padded = make_batch(src, tgt, 64, c.vocab_size, time, chords);
  pad_batch_length(padded, 8, 64);  // S 7 -> 8, T 5 -> 8

  // The same pairs beside a third one of exactly those lengths (8 and 7 + BOS).
  V src3 = src, tgt3 = tgt;
  src3.push_back(random_tokens(rng, 8, c.vocab_size));
  tgt3.push_back(random_tokens(rng, 7, c.vocab_size));
  BarChords chords3 = chords;
  chords3.push_back({1});
  const Batch longer = make_batch(src3, tgt3, 64, c.vocab_size, time, chords3);
  for (auto [got, want] : {std::pair{padded.source, longer.source},
                           {padded.decoder_input, longer.decoder_input},
                           {padded.labels, longer.labels},
                           {padded.source_bars, longer.source_bars},
                           {padded.target_bars, longer.target_bars},
                           {padded.source_chords, longer.source_chords},
                           {padded.target_chords, longer.target_chords}}) {
    ASSERT_TRUE(got.defined());
    EXPECT_TRUE(got.equal(want.narrow(0, 0, 2))) << got << "\n" << want;
  }
}

TEST(BatchPadding, LossAndLogitsOfRealPositionsDoNotChange) {
  torch::manual_seed(11);
  const ModelConfig c = bar_chord_config();
  Seq2SeqTransformer model(c);
  model->eval();
  testing::perturb_parameters(model);
  const MusicalTime time(c, test_bar_counts(c.vocab_size));
  std::mt19937 rng(11);
  std::vector<std::vector<int64_t>> src, tgt;
  BarChords chords;
  for (int64_t n : {9, 4, 13}) {
    src.push_back(random_tokens(rng, n, c.vocab_size));
    tgt.push_back(random_tokens(rng, n / 2 + 1, c.vocab_size));
    chords.push_back({5, 17, 80});
  }
  const Batch plain = make_batch(src, tgt, c.max_len, c.vocab_size, time, chords);
  Batch padded = plain;
  pad_batch_length(padded, 16, c.max_len);
  ASSERT_GT(padded.source.size(1), plain.source.size(1));
  ASSERT_GT(padded.decoder_input.size(1), plain.decoder_input.size(1));
  torch::NoGradGuard no_grad;
  const torch::Tensor a = model(plain.source, plain.decoder_input, batch_bar_indices(plain, torch::kCPU));
  const torch::Tensor b = model(padded.source, padded.decoder_input, batch_bar_indices(padded, torch::kCPU));
  const int64_t T = plain.decoder_input.size(1);
  EXPECT_LT((b.narrow(1, 0, T) - a).abs().max().item<double>(), 1e-5);
  EXPECT_NEAR(sequence_loss(b, padded.labels).item<double>(), sequence_loss(a, plain.labels).item<double>(), 1e-6);
}

}  // namespace
}  // namespace acc::model
