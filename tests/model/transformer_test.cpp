// The Transformer's structure (SPEC section 9 names and shapes), batching and
// loss, padding invariance, gradients against finite differences, and a
// small overfitting run.
#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <map>
#include <random>
#include <set>

#include "accompanist/model/batch.h"
#include "accompanist/model/flops.h"
#include "accompanist/model/transformer.h"
#include "accompanist/util/config.h"
#include "accompanist/util/error.h"
#include "model/model_test_util.h"

namespace acc::model {
namespace {

using testing::random_tokens;
using testing::tiny_config;

// Written from SPEC section 9, independently of the module code.
std::map<std::string, std::vector<int64_t>> spec_parameters(const ModelConfig& c) {
  const int64_t d = c.d_model, H = c.heads, dk = d / H, R = c.max_relative_distance, V = c.vocab_size;
  std::map<std::string, std::vector<int64_t>> p;
  p["src_embed.weight"] = {V, d};
  p["tgt_embed.weight"] = {V, d};
  auto attention = [&](const std::string& prefix) {
    for (const char* m : {"q", "k", "v", "o"}) {
      p[prefix + "." + m + ".weight"] = {d, d};
      p[prefix + "." + m + ".bias"] = {d};
    }
  };
  auto ffn_and_norms = [&](const std::string& prefix, int norms) {
    p[prefix + ".ffn.fc1.weight"] = {c.ff, d};
    p[prefix + ".ffn.fc1.bias"] = {c.ff};
    p[prefix + ".ffn.fc2.weight"] = {d, c.ff};
    p[prefix + ".ffn.fc2.bias"] = {d};
    for (int n = 1; n <= norms; ++n) {
      p[prefix + ".norm" + std::to_string(n) + ".weight"] = {d};
      p[prefix + ".norm" + std::to_string(n) + ".bias"] = {d};
    }
  };
  for (int64_t i = 0; i < c.enc_layers; ++i) {
    const std::string l = "encoder.layers." + std::to_string(i);
    attention(l + ".self_attn");
    p[l + ".self_attn.rel"] = {H, 2 * R - 1, dk};
    ffn_and_norms(l, 2);
  }
  for (int64_t i = 0; i < c.dec_layers; ++i) {
    const std::string l = "decoder.layers." + std::to_string(i);
    attention(l + ".self_attn");
    attention(l + ".cross_attn");
    p[l + ".self_attn.rel"] = {H, R, dk};
    ffn_and_norms(l, 3);
  }
  p["out_proj.weight"] = {V, d};
  p["out_proj.bias"] = {V};
  return p;
}

TEST(Transformer, ParameterNamesAndShapesFollowTheSpec) {
  for (ModelConfig c : {tiny_config(), ModelConfig{}}) {
    Seq2SeqTransformer model(c);
    std::map<std::string, std::vector<int64_t>> got;
    for (const auto& item : model->named_parameters())
      got[item.key()] = std::vector<int64_t>(item.value().sizes().begin(), item.value().sizes().end());
    EXPECT_EQ(got, spec_parameters(c));
    int64_t numel = 0;
    for (const auto& t : model->parameters()) numel += t.numel();
    EXPECT_EQ(parameter_count(c), numel);
    EXPECT_TRUE(model->named_buffers().is_empty());
  }
}

TEST(Transformer, DefaultConfigIsTableOne) {
  ModelConfig c;
  EXPECT_EQ(c.d_model, 256);
  EXPECT_EQ(c.enc_layers, 6);
  EXPECT_EQ(c.dec_layers, 6);
  EXPECT_EQ(c.heads, 4);
  EXPECT_EQ(c.ff, 128);
  EXPECT_DOUBLE_EQ(c.dropout, 0.1);
  EXPECT_EQ(c.max_len, 1500);
  EXPECT_EQ(c.max_relative_distance, 1500);
  EXPECT_EQ(c.vocab_size, 500);
}

TEST(ModelConfig, RejectsBadValuesWithTheKeyName) {
  ModelConfig c;
  EXPECT_THROW(acc::util::load_config_text(c, "heads: 0\n", "m.yaml"), acc::Error);
  EXPECT_THROW(acc::util::load_config_text(c, "d_model: abc\n", "m.yaml"), acc::Error);
  EXPECT_THROW(acc::util::load_config_text(c, "bogus: 1\n", "m.yaml"), acc::Error);
  ModelConfig odd;
  acc::util::load_config_text(odd, "d_model: 30\nheads: 4\n", "m.yaml");
  try {
    odd.validate();
    FAIL() << "d_model % heads != 0 accepted";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("divisible"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Seq2SeqTransformer{odd}, acc::Error);
  // Round trip through YAML and JSON.
  ModelConfig t = tiny_config(), back, json;
  acc::util::load_config_text(back, acc::util::dump_config(t), "dump");
  EXPECT_EQ(back, t);
  json = ModelConfig::from_json(t.to_json(), "json");
  EXPECT_EQ(json, t);
  EXPECT_THROW(ModelConfig::from_json("{\"d_model\": 16}", "json"), acc::Error);
  EXPECT_THROW(ModelConfig::from_json("not json", "json"), acc::Error);
}

TEST(Batch, BosEosPaddingAndTruncation) {
  // max_len 4: target {5,6,7} fits exactly with EOS; {5,6,7,8,9} is cut (no EOS).
  Batch b = make_batch(std::vector<std::vector<int64_t>>{{9, 8, 7, 6, 5}, {4}},
                       std::vector<std::vector<int64_t>>{{5, 6, 7}, {5, 6, 7, 8, 9}}, 4, 10);
  EXPECT_TRUE(b.source.equal(torch::tensor({9, 8, 7, 6, 4, 0, 0, 0}, torch::kLong).view({2, 4})));
  EXPECT_TRUE(b.decoder_input.equal(torch::tensor({1, 5, 6, 7, 1, 5, 6, 7}, torch::kLong).view({2, 4})));
  EXPECT_TRUE(b.labels.equal(torch::tensor({5, 6, 7, 2, 5, 6, 7, 8}, torch::kLong).view({2, 4})));
  EXPECT_EQ(b.source_tokens, 5);
  EXPECT_EQ(b.label_tokens, 8);

  Batch short_target =
      make_batch(std::vector<std::vector<uint16_t>>{{3, 4}, {5}}, std::vector<std::vector<uint16_t>>{{}, {6, 7}}, 100);
  EXPECT_TRUE(short_target.decoder_input.equal(torch::tensor({1, 0, 0, 1, 6, 7}, torch::kLong).view({2, 3})));
  EXPECT_TRUE(short_target.labels.equal(torch::tensor({2, 0, 0, 6, 7, 2}, torch::kLong).view({2, 3})));
  EXPECT_EQ(short_target.label_tokens, 4);

  using V = std::vector<std::vector<int64_t>>;
  EXPECT_THROW(make_batch(V{{}}, V{{3}}, 8), acc::Error);        // empty source
  EXPECT_THROW(make_batch(V{{3, 0}}, V{{3}}, 8), acc::Error);    // PAD inside
  EXPECT_THROW(make_batch(V{{3}}, V{{30}}, 8, 10), acc::Error);  // out of vocabulary
  EXPECT_THROW(make_batch(V{}, V{}, 8), acc::Error);
}

TEST(Batch, LossIsTheMeanOverNonPadLabels) {
  torch::manual_seed(0);
  torch::Tensor logits = torch::randn({2, 3, 5});
  torch::Tensor labels = torch::tensor({1, 2, 0, 3, 0, 0}, torch::kLong).view({2, 3});
  torch::Tensor logp = logits.log_softmax(-1);
  double want = -(logp[0][0][1] + logp[0][1][2] + logp[1][0][3]).item<double>() / 3.0;
  EXPECT_NEAR(sequence_loss(logits, labels).item<double>(), want, 1e-6);
  EXPECT_NEAR(sequence_loss_sum(logits, labels).item<double>(), 3.0 * want, 1e-5);
}

TEST(Transformer, PaddingDoesNotChangeTheLogits) {
  torch::manual_seed(5);
  std::mt19937 rng(5);
  ModelConfig c = tiny_config();
  Seq2SeqTransformer model(c);
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int64_t>> src = {random_tokens(rng, 3, c.vocab_size), random_tokens(rng, 11, c.vocab_size),
                                           random_tokens(rng, 7, c.vocab_size)};
  std::vector<std::vector<int64_t>> tgt = {random_tokens(rng, 9, c.vocab_size), random_tokens(rng, 2, c.vocab_size),
                                           random_tokens(rng, 14, c.vocab_size)};
  Batch all = make_batch(src, tgt, c.max_len);
  torch::Tensor logits = model(all.source, all.decoder_input);
  ASSERT_EQ(logits.sizes(), (at::IntArrayRef{3, 15, c.vocab_size}));
  EXPECT_FALSE(logits.isnan().any().item<bool>());
  for (size_t i = 0; i < src.size(); ++i) {
    Batch one =
        make_batch(std::vector<std::vector<int64_t>>{src[i]}, std::vector<std::vector<int64_t>>{tgt[i]}, c.max_len);
    torch::Tensor alone = model(one.source, one.decoder_input)[0];
    const int64_t n = alone.size(0);
    EXPECT_LT((logits[i].narrow(0, 0, n) - alone).abs().max().item<double>(), 1e-5) << "pair " << i;
  }
}

TEST(Transformer, EvalIsDeterministicAndTrainUsesDropout) {
  torch::manual_seed(6);
  std::mt19937 rng(6);
  ModelConfig c = tiny_config();
  c.dropout = 0.5;
  Seq2SeqTransformer model(c);
  Batch b = make_batch(std::vector<std::vector<int64_t>>{random_tokens(rng, 6, c.vocab_size)},
                       std::vector<std::vector<int64_t>>{random_tokens(rng, 6, c.vocab_size)}, c.max_len);
  torch::NoGradGuard no_grad;
  model->eval();
  torch::Tensor a = model(b.source, b.decoder_input), a2 = model(b.source, b.decoder_input);
  EXPECT_TRUE(a.equal(a2));
  model->train();
  torch::Tensor t1 = model(b.source, b.decoder_input), t2 = model(b.source, b.decoder_input);
  EXPECT_FALSE(t1.equal(t2));
}

TEST(Transformer, RejectsInputsLongerThanMaxLen) {
  ModelConfig c = tiny_config();
  Seq2SeqTransformer model(c);
  torch::Tensor too_long = torch::full({1, c.max_len + 1}, 5, torch::kLong);
  torch::Tensor ok = torch::full({1, 3}, 5, torch::kLong);
  EXPECT_THROW(model(too_long, ok), acc::Error);
  EXPECT_THROW(model(ok, too_long), acc::Error);
}

// Central differences in double precision on a model small enough to probe
// every parameter tensor (relative tables included).
TEST(Transformer, GradientsMatchFiniteDifferences) {
  torch::manual_seed(7);
  std::mt19937 rng(7);
  ModelConfig c;
  c.d_model = 8;
  c.heads = 2;
  c.ff = 6;
  c.enc_layers = 1;
  c.dec_layers = 1;
  c.dropout = 0.0;
  c.max_len = 8;
  c.max_relative_distance = 3;
  c.vocab_size = 11;
  Seq2SeqTransformer model(c);
  model->to(torch::kDouble);
  Batch b =
      make_batch(std::vector<std::vector<int64_t>>{random_tokens(rng, 5, 11), random_tokens(rng, 2, 11)},
                 std::vector<std::vector<int64_t>>{random_tokens(rng, 3, 11), random_tokens(rng, 6, 11)}, c.max_len);
  auto loss = [&] { return sequence_loss(model(b.source, b.decoder_input), b.labels); };
  model->zero_grad();
  loss().backward();

  const double eps = 1e-6;
  int checked = 0;
  for (auto& item : model->named_parameters()) {
    torch::Tensor p = item.value();
    torch::Tensor grad = p.grad().clone();
    torch::Tensor flat = p.view({-1});
    std::uniform_int_distribution<int64_t> pick(0, flat.numel() - 1);
    for (int k = 0; k < 3; ++k) {
      const int64_t idx = pick(rng);
      double numeric;
      {
        torch::NoGradGuard no_grad;
        const double orig = flat[idx].item<double>();
        flat[idx].fill_(orig + eps);
        const double up = loss().item<double>();
        flat[idx].fill_(orig - eps);
        const double down = loss().item<double>();
        flat[idx].fill_(orig);
        numeric = (up - down) / (2 * eps);
      }
      const double analytic = grad.view({-1})[idx].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::abs(numeric)) << item.key() << "[" << idx << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

// A small model must memorise one fixed batch.
TEST(Transformer, OverfitsOneBatch) {
  torch::manual_seed(8);
  std::mt19937 rng(8);
  ModelConfig c;
  c.d_model = 64;
  c.heads = 4;
  c.ff = 128;
  c.enc_layers = 2;
  c.dec_layers = 2;
  c.dropout = 0.0;
  c.max_len = 32;
  c.max_relative_distance = 32;
  c.vocab_size = 40;
  Seq2SeqTransformer model(c);
  std::vector<std::vector<int64_t>> src, tgt;
  for (size_t n : {12, 20, 16, 9}) {
    src.push_back(random_tokens(rng, n, c.vocab_size));
    tgt.push_back(random_tokens(rng, n + 3, c.vocab_size));
  }
  Batch b = make_batch(src, tgt, c.max_len);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
  double first = 0.0, last = 0.0;
  int steps = 0;
  for (; steps < 400; ++steps) {
    adam.zero_grad();
    torch::Tensor loss = sequence_loss(model(b.source, b.decoder_input), b.labels);
    loss.backward();
    adam.step();
    last = loss.item<double>();
    if (steps == 0) first = last;
    if (last < 0.05) break;
  }
  RecordProperty("steps", steps);
  EXPECT_GT(first, 3.0);  // about log(40) at the start
  EXPECT_LT(last, 0.1) << "after " << steps << " steps";
}

TEST(Flops, CountsTheMatrixProducts) {
  ModelConfig c = tiny_config();
  c.enc_layers = 1;
  c.dec_layers = 1;
  const double d = c.d_model, ff = c.ff, V = c.vocab_size;
  // S = T = 4 (< R = 5): encoder rel over 2*4-1 = 7 distances, decoder over 4.
  const double S = 4, T = 4;
  const double enc = S * (8 * d * d + 4 * d * ff) + 2 * S * S * d * 2 + 2 * S * 7 * d;
  const double dec =
      T * (8 * d * d + 4 * d * ff) + 2 * T * T * d * 2 + 2 * T * 4 * d + 4 * d * d * (T + S) + 4 * T * S * d;
  EXPECT_DOUBLE_EQ(forward_flops(c, 4, 4), enc + dec + 2 * T * d * V);
  EXPECT_DOUBLE_EQ(training_flops(c, 4, 4), 3 * forward_flops(c, 4, 4));
  // Quadratic growth: doubling the lengths more than doubles the cost.
  ModelConfig big;
  EXPECT_GT(forward_flops(big, 1500, 1500), 2.0 * forward_flops(big, 750, 750));
}

}  // namespace
}  // namespace acc::model
