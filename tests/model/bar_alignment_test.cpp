// Bar alignment (model.bar_alignment): bar indices, the cross-attention window
// and bias, bar embeddings, their config keys, incremental decoding equal to
// the full forward, and the logits against the independent Python reference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <random>
#include <set>

#include "accompanist/model/bar_alignment.h"
#include "accompanist/model/batch.h"
#include "accompanist/model/decoding.h"
#include "accompanist/model/weights.h"
#include "accompanist/util/config.h"
#include "accompanist/util/error.h"
#include "accompanist/util/hdf5.h"
#include "model/model_test_util.h"

namespace acc::model {
namespace {

using testing::random_pairs;
using testing::random_tokens;
using testing::ScratchDir;
using testing::test_bar_counts;
using testing::tiny_config;

ModelConfig aligned_config() {
  ModelConfig c = tiny_config();
  c.bar_alignment.embeddings = true;
  c.bar_alignment.max_bars = 3;  // later bars share the last row
  c.bar_alignment.window = true;
  c.bar_alignment.window_before = 0;
  c.bar_alignment.window_after = 1;
  c.bar_alignment.bias = true;
  c.bar_alignment.bias_distance = 2;  // distances past 2 are clamped
  return c;
}

std::vector<int64_t> bars_of(const std::vector<int64_t>& ids, const std::vector<int32_t>& counts) {
  return bar_indices(ids.data(), int64_t(ids.size()), counts);
}

TEST(BarIndices, CountBarsInTheExpansionsUpToEachToken) {
  const auto counts = test_bar_counts(23);
  // BOS, notes before the first Bar, Bar, notes, a two-bar token, a Bar.
  EXPECT_EQ(bars_of({1, 5, 6, 4, 5, 6, 7, 5, 9, 5}, counts), (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 2, 2, 3, 3}));
  EXPECT_EQ(bars_of({4, 4, 4}, counts), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(bars_of({}, counts).empty());
  // Ids outside the table (and PAD) count no bar.
  EXPECT_EQ(bars_of({4, 0, 99, 4}, counts), (std::vector<int64_t>{0, 0, 0, 1}));
  // The incremental form gives the same numbers.
  int64_t seen = 0;
  std::vector<int64_t> inc;
  for (int64_t id : {1, 4, 5, 7, 5}) inc.push_back(next_bar_index(seen, id, counts));
  EXPECT_EQ(inc, bars_of({1, 4, 5, 7, 5}, counts));
  EXPECT_EQ(seen, 3);
}

TEST(BarIndices, MakeBatchFillsThemForSourceAndDecoderInput) {
  const auto counts = test_bar_counts(23);
  std::vector<std::vector<int64_t>> src = {{4, 5, 4, 6}, {4, 5}};
  std::vector<std::vector<int64_t>> tgt = {{4, 5, 4}, {4, 7, 6, 5}};
  Batch b = make_batch(src, tgt, 16, 23, MusicalTime(aligned_config(), counts));
  ASSERT_TRUE(b.source_bars.defined());
  EXPECT_TRUE(torch::equal(b.source_bars, torch::tensor({{0, 0, 1, 1}, {0, 0, 0, 0}}, torch::kLong)));
  // Decoder input: BOS, target...; padding continues the last bar.
  EXPECT_TRUE(torch::equal(b.target_bars, torch::tensor({{0, 0, 0, 1, 1}, {0, 0, 2, 2, 2}}, torch::kLong)));
  Batch plain = make_batch(src, tgt, 16, 23);
  EXPECT_FALSE(plain.source_bars.defined());
}

TEST(CrossBarContext, WindowMaskFallbackAndBiasIndices) {
  BarAlignment a;
  a.window = true;
  a.window_before = 0;
  a.window_after = 1;
  a.bias = true;
  a.bias_distance = 1;
  torch::Tensor key_pad = torch::tensor({{false, false, false, false, true}}).view({1, 5});
  torch::Tensor key_bars = torch::tensor({{0, 0, 1, 2, 0}}, torch::kLong);
  torch::Tensor query_bars = torch::tensor({{0, 1, 2, 5}}, torch::kLong);
  CrossBarContext ctx = cross_bar_context(a, key_pad, query_bars, key_bars);
  ASSERT_EQ(ctx.mask.sizes(), (at::IntArrayRef{1, 1, 4, 5}));
  // true = hidden. Bar 0 sees bars 0..1, bar 1 sees 1..2, bar 2 sees 2; bar 5
  // has nothing in its window and sees every non-PAD key.
  torch::Tensor want = torch::tensor({{false, false, false, true, true},
                                      {true, true, false, false, true},
                                      {true, true, true, false, true},
                                      {false, false, false, false, true}})
                           .view({1, 1, 4, 5});
  EXPECT_TRUE(torch::equal(ctx.mask, want)) << ctx.mask;
  // Clamped key bar - query bar, shifted by D = 1.
  torch::Tensor dist =
      torch::tensor({{1, 1, 2, 2, 1}, {0, 0, 1, 2, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 0}}, torch::kLong);
  EXPECT_TRUE(torch::equal(ctx.distance, dist.view({1, 4, 5}))) << ctx.distance;

  BarAlignment off;
  CrossBarContext plain = cross_bar_context(off, key_pad, {}, {});
  EXPECT_EQ(plain.mask.sizes(), (at::IntArrayRef{1, 1, 1, 5}));
  EXPECT_FALSE(plain.distance.defined());
  EXPECT_THROW(cross_bar_context(a, key_pad, {}, {}), acc::Error);
}

TEST(BarAlignmentConfig, DefaultsOffAndTheSpecModelUnchanged) {
  ModelConfig c = tiny_config();
  EXPECT_FALSE(c.bar_alignment.enabled());
  EXPECT_EQ(c.to_json().find("bar_alignment"), std::string::npos);  // exported JSON as before
  Seq2SeqTransformer plain(c);
  for (const auto& p : plain->named_parameters()) EXPECT_EQ(p.key().find("bar"), std::string::npos) << p.key();

  Seq2SeqTransformer aligned(aligned_config());
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : aligned->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(shapes["src_bar_embed.weight"], (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(shapes["tgt_bar_embed.weight"], (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(shapes["decoder.layers.1.cross_attn.bar_bias"], (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(shapes.count("decoder.layers.0.self_attn.bar_bias"), 0u);
  EXPECT_EQ(plain->parameters().size() + 4, aligned->parameters().size());
}

TEST(BarAlignmentConfig, YamlJsonRoundTripAndErrorsNameTheKey) {
  ModelConfig c;
  util::load_config_text(c, "bar_alignment:\n  window: true\n  window_after: 2\n", "x.yaml",
                         {"bar_alignment.bias=true"});
  EXPECT_TRUE(c.bar_alignment.window);
  EXPECT_TRUE(c.bar_alignment.bias);
  EXPECT_EQ(c.bar_alignment.window_after, 2);
  EXPECT_EQ(ModelConfig::from_json(c.to_json(), "t"), c);
  ModelConfig back;
  util::load_config_text(back, util::dump_config(c), "dump");
  EXPECT_EQ(back, c);
  // JSON written before bar alignment existed still loads, with it off.
  ModelConfig old = ModelConfig::from_json(tiny_config().to_json(), "old");
  EXPECT_FALSE(old.bar_alignment.enabled());
  try {
    util::load_config_text(c, "bar_alignment:\n  windw: true\n", "x.yaml");
    FAIL() << "unknown key accepted";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bar_alignment.windw"), std::string::npos) << e.what();
  }
  try {
    util::load_config_text(c, "", "x", {"bar_alignment.window_before=-1"});
    FAIL() << "negative window accepted";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("value -1 out of range [0, 1048576]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelConfig::from_json(R"({"d_model":16,"enc_layers":1,"dec_layers":1,"heads":2,"ff":8,"dropout":0,
    "max_len":8,"max_relative_distance":4,"vocab_size":23,"bar_alignment":{"window":1}})",
                                      "bad"),
               acc::Error);
}

TEST(BarAlignmentConfig, JsonIsTheSpecModelsAndErrorsNameTheKeyPath) {
  // The export JSON of the SPEC model, byte for byte as before bar alignment existed.
  EXPECT_EQ(ModelConfig{}.to_json(),
            R"({"d_model":256,"enc_layers":6,"dec_layers":6,"heads":4,"ff":128,"dropout":0.1,"max_len":1500,)"
            R"("max_relative_distance":1500,"vocab_size":500})");
  ModelConfig on;
  on.bar_alignment.window = true;
  on.bar_alignment.max_bars = 3;
  EXPECT_EQ(on.to_json(),
            R"({"d_model":256,"enc_layers":6,"dec_layers":6,"heads":4,"ff":128,"dropout":0.1,"max_len":1500,)"
            R"("max_relative_distance":1500,"vocab_size":500,"bar_alignment":{"embeddings":false,"max_bars":3,)"
            R"("window":true,"window_before":0,"window_after":1,"bias":false,"bias_distance":4}})");
  const std::string head = R"({"d_model":16,"enc_layers":1,"dec_layers":1,"heads":2,"ff":8,"dropout":0,)"
                           R"("max_len":8,"max_relative_distance":4,"vocab_size":23)";
  auto error_of = [](const std::string& json) {
    try {
      ModelConfig::from_json(json, "w.h5: config");
    } catch (const acc::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of(head + "}"), "(no error)");
  EXPECT_EQ(error_of(head + R"(,"bar_alignment":{"window":true}})"), "(no error)");  // partial: defaults
  EXPECT_EQ(error_of(head + R"(,"bar_alignment":{"windw":true}})"),
            "w.h5: config: model config: unknown key bar_alignment.windw");
  EXPECT_EQ(error_of(head + R"(,"bar_alignment":{"window":1}})"),
            "w.h5: config: model config: bar_alignment.window: expected a boolean");
  EXPECT_EQ(error_of(head + R"(,"bar_alignment":{"max_bars":true}})"),
            "w.h5: config: model config: bar_alignment.max_bars: expected an integer");
  EXPECT_EQ(error_of(head + R"(,"bar_alignment":[]})"),
            "w.h5: config: model config: bar_alignment: expected an object");
  EXPECT_EQ(error_of(head + R"(,"bars":1})"), "w.h5: config: model config: unknown key bars");
  EXPECT_EQ(error_of(R"({"d_model":16})"), "w.h5: config: model config: missing key enc_layers");
  EXPECT_EQ(error_of(head.substr(0, head.find(R"(,"vocab_size")")) + "}"),
            "w.h5: config: model config: missing key vocab_size");
  EXPECT_EQ(error_of(R"({"d_model":"16"})"), "w.h5: config: model config: d_model: expected an integer");
}

TEST(BarAlignmentModel, NeedsBarIndicesAndUsesThem) {
  torch::manual_seed(3);
  std::mt19937 rng(3);
  ModelConfig c = aligned_config();
  Seq2SeqTransformer model(c);
  model->eval();
  const auto counts = test_bar_counts(c.vocab_size);
  std::vector<std::vector<int64_t>> src = {{4, 5, 6, 4, 8, 8, 4, 10}}, tgt = {{4, 5, 4, 6, 6}};
  Batch b = make_batch(src, tgt, c.max_len, c.vocab_size, MusicalTime(c, counts));
  EXPECT_THROW(model(b.source, b.decoder_input), acc::Error);
  torch::NoGradGuard no_grad;
  testing::perturb_parameters(model);  // bar_bias away from zero
  const BarIndices bars{b.source_bars, b.target_bars};
  torch::Tensor logits = model(b.source, b.decoder_input, bars);  // [1, 6, V]
  // Other bar indices change the logits (embeddings, bias and mask all read them).
  torch::Tensor shifted = model(b.source, b.decoder_input, BarIndices{b.source_bars, b.target_bars + 1});
  EXPECT_GT((shifted - logits).abs().max().item<double>(), 1e-4);
}

// The window at the attention itself: a memory row outside a query's window
// does not change that query's output, and does change the others'.
TEST(BarAlignmentModel, CrossAttentionIgnoresKeysOutsideTheWindow) {
  torch::manual_seed(6);
  MultiHeadAttention attn(AttentionOptions(8, 2).bar_bias_distance(1));
  attn->eval();
  {
    torch::NoGradGuard guard;
    attn->bar_bias.normal_();
  }
  BarAlignment a;
  a.window = true;
  a.bias = true;
  a.bias_distance = 1;
  torch::Tensor key_bars = torch::tensor({{0, 0, 1, 1, 2}}, torch::kLong);
  torch::Tensor query_bars = torch::tensor({{0, 1, 2}}, torch::kLong);
  CrossBarContext ctx = cross_bar_context(a, torch::zeros({1, 5}, torch::kBool), query_bars, key_bars);
  torch::NoGradGuard no_grad;
  torch::Tensor query = torch::randn({1, 3, 8}), memory = torch::randn({1, 5, 8});
  torch::Tensor out = attn(query, memory, ctx.mask, ctx.distance);  // [1, 3, 8]
  torch::Tensor other = memory.clone();
  other[0][4] += 1.0;  // bar 2: outside bar 0's window (0..1), inside bar 1's and bar 2's
  torch::Tensor changed = attn(query, other, ctx.mask, ctx.distance);
  EXPECT_LT((changed - out)[0][0].abs().max().item<double>(), 1e-7);
  EXPECT_GT((changed - out)[0][1].abs().max().item<double>(), 1e-4);
  EXPECT_GT((changed - out)[0][2].abs().max().item<double>(), 1e-4);
  // The bias: other bar distances give other outputs.
  torch::Tensor shifted = attn(query, memory, ctx.mask, (ctx.distance + 1).clamp(0, 2));
  EXPECT_GT((shifted - out).abs().max().item<double>(), 1e-4);
  EXPECT_THROW(attn(query, memory, ctx.mask), acc::Error);  // a bias layer needs distances
}

TEST(BarAlignmentModel, GradientsReachTheBarParameters) {
  torch::manual_seed(4);
  ModelConfig c = aligned_config();
  c.bar_alignment.window = false;  // the bias alone decides
  Seq2SeqTransformer model(c);
  const auto counts = test_bar_counts(c.vocab_size);
  Batch b =
      make_batch(std::vector<std::vector<int64_t>>{{4, 5, 4, 6, 4, 8}}, std::vector<std::vector<int64_t>>{{4, 5, 4, 6}},
                 c.max_len, c.vocab_size, MusicalTime(c, counts));
  torch::Tensor loss =
      sequence_loss(model(b.source, b.decoder_input, BarIndices{b.source_bars, b.target_bars}), b.labels);
  loss.backward();
  // aligned_config(): bar embeddings on both sides, a bias in each of the two decoder layers.
  const std::set<std::string> expected = {"src_bar_embed.weight", "tgt_bar_embed.weight",
                                          "decoder.layers.0.cross_attn.bar_bias",
                                          "decoder.layers.1.cross_attn.bar_bias"};
  std::set<std::string> seen;
  for (const auto& p : model->named_parameters()) {
    if (p.key().find("bar") == std::string::npos) continue;
    seen.insert(p.key());
    ASSERT_TRUE(p.value().grad().defined()) << p.key() << " has no gradient";
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
  EXPECT_EQ(seen, expected) << "the bar parameters are not the expected ones";
}

// Teacher-forced incremental decoding with bar indices equals the full pass,
// also after dropping and reordering rows.
TEST(BarAlignmentModel, IncrementalDecodingEqualsTheFullForward) {
  torch::manual_seed(5);
  std::mt19937 rng(5);
  ModelConfig c = aligned_config();
  Seq2SeqTransformer model(c);
  model->eval();
  testing::perturb_parameters(model);
  const auto counts = test_bar_counts(c.vocab_size);
  std::vector<std::vector<int64_t>> src, tgt;
  for (size_t n : {14, 5, 9}) src.push_back(random_tokens(rng, n, c.vocab_size));
  for (size_t n : {15, 11, 6}) tgt.push_back(random_tokens(rng, n, c.vocab_size));
  for (auto* seqs : {&src, &tgt})  // a bar every third token or so
    for (auto& seq : *seqs)
      for (size_t i = 0; i < seq.size(); i += 3) seq[i] = 4;
  Batch b = make_batch(src, tgt, c.max_len, c.vocab_size, MusicalTime(c, counts));
  ASSERT_GT(b.target_bars.max().item<int64_t>(), 2);  // bars past max_bars and past the bias distance occur
  torch::NoGradGuard no_grad;
  torch::Tensor full = model(b.source, b.decoder_input, BarIndices{b.source_bars, b.target_bars});  // [B, T, V]
  // fp32: incremental = full forward holds in fp32 (auto would run the encoder
  // pass in bf16 on a CPU with native bf16, precision.h).
  IncrementalDecoder decoder(model, b.source, 4, b.source_bars, {}, "fp32");
  const int64_t T = b.decoder_input.size(1);
  double worst = 0.0;
  for (int64_t t = 0; t < 6; ++t) {
    torch::Tensor step = decoder.step(b.decoder_input.select(1, t), b.target_bars.select(1, t));
    worst = std::max(worst, (step - full.select(1, t)).abs().max().item<double>());
  }
  torch::Tensor rows = torch::tensor({2, 0}, torch::kLong);
  decoder.select(rows);
  torch::Tensor input = b.decoder_input.index_select(0, rows), bars = b.target_bars.index_select(0, rows);
  torch::Tensor want = full.index_select(0, rows);
  for (int64_t t = 6; t < T; ++t) {
    torch::Tensor step = decoder.step(input.select(1, t), bars.select(1, t));
    // Rows past their target's end see PAD inputs; only real positions are compared.
    for (int64_t r = 0; r < 2; ++r)
      if (input[r][t].item<int64_t>() != kPad)
        worst = std::max(worst, (step[r] - want[r][t]).abs().max().item<double>());
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  EXPECT_LT(worst, 1e-4);
  EXPECT_THROW(IncrementalDecoder(model, b.source).step(b.decoder_input.select(1, 0)), acc::Error);
}

// The C++ model with bar alignment against tests/reference/model_reference.py.
TEST(BarAlignmentReference, LogitsMatchTheIndependentPythonModel) {
  ScratchDir dir("bar-reference");
  torch::manual_seed(26);
  std::mt19937 rng(26);
  ModelConfig c = aligned_config();
  Seq2SeqTransformer model(c);
  testing::perturb_parameters(model);
  export_weights(model, dir.file("weights.h5"));
  const auto counts = test_bar_counts(c.vocab_size);
  testing::write_json_array(dir.file("bar_counts.json"), counts);
  auto pairs = random_pairs(rng, c, {4, 11, 1, 16, 20, 7}, {9, 3, 15, 0, 6, 22});
  pairs[1].source = {5, 6, 8, 10, 11, 12};  // no Bar at all: every token in bar 0
  ScoreOptions opts;
  opts.batch_size = 3;
  opts.logits_path = dir.file("cpp.h5");
  opts.time = MusicalTime(c, counts);
  ScoreResult cpp = score_pairs(model, pairs, opts);

  const testing::ReferenceComparison r = testing::compare_with_python_reference(
      dir, dir.file("weights.h5"), dir.file("cpp.h5"), pairs.size(), "--bar-counts " + dir.file("bar_counts.json"));
  RecordProperty("max_abs_diff", std::to_string(r.max_abs_diff));
  std::printf("C++ vs reference (bar alignment): max abs logit difference %.3g\n", r.max_abs_diff);
  EXPECT_LT(r.max_abs_diff, 1e-4);
  EXPECT_NEAR(cpp.mean_loss, r.reference_mean_loss, 1e-5);
}

}  // namespace
}  // namespace acc::model
