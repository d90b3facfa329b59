// Chord conditioning (model.chord_conditioning): its config keys, its
// parameters, chord ids in batches, that the model needs and uses them,
// incremental decoding equal to the full forward, and the logits against the
// independent Python reference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <random>

#include "accompanist/model/batch.h"
#include "accompanist/model/decoding.h"
#include "accompanist/model/flops.h"
#include "accompanist/model/weights.h"
#include "accompanist/util/config.h"
#include "accompanist/util/error.h"
#include "model/model_test_util.h"

namespace acc::model {
namespace {

using testing::random_pairs;
using testing::random_tokens;
using testing::ScratchDir;
using testing::test_bar_counts;
using testing::tiny_config;

ModelConfig chord_config() {
  return testing::tiny_chord_config();  // as the CPU configs use it
}

// Random chord ids for `bars` bars (0 = no chord included).
std::vector<int32_t> random_chords(std::mt19937& rng, size_t bars) {
  std::vector<int32_t> out(bars);
  for (auto& c : out) c = int32_t(rng() % uint32_t(kChordIds));
  return out;
}

TEST(ChordConditioningConfig, OffByDefaultAndReadFromYamlSetAndJson) {
  ModelConfig plain;
  EXPECT_FALSE(plain.chord_conditioning.enabled());
  EXPECT_EQ(plain.to_json().find("chord_conditioning"), std::string::npos);  // the SPEC model's JSON is unchanged

  ModelConfig c;
  acc::util::load_config_text(c, "chord_conditioning:\n  source: true\n", "test.yaml");
  EXPECT_TRUE(c.chord_conditioning.source);
  EXPECT_FALSE(c.chord_conditioning.target);
  acc::util::load_config_text(c, "chord_conditioning:\n  source: true\n", "test.yaml",
                              {"chord_conditioning.target=true"});
  EXPECT_TRUE(c.chord_conditioning.target);
  EXPECT_TRUE(c.needs_bars());
  EXPECT_EQ(ModelConfig::from_json(c.to_json(), "round trip"), c);
  EXPECT_NE(ModelConfig::from_json(c.to_json(), "round trip"), plain);

  try {
    acc::util::load_config_text(c, "chord_conditioning:\n  sources: true\n", "test.yaml");
    FAIL() << "an unknown key was accepted";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("chord_conditioning.sources"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelConfig::from_json(R"({"d_model":16,"enc_layers":1,"dec_layers":1,"heads":2,"ff":8,"dropout":0,
    "max_len":8,"max_relative_distance":4,"vocab_size":23,"chord_conditioning":{"source":1}})",
                                      "bad"),
               acc::Error);
  EXPECT_THROW(ModelConfig::from_json(R"({"d_model":16,"enc_layers":1,"dec_layers":1,"heads":2,"ff":8,"dropout":0,
    "max_len":8,"max_relative_distance":4,"vocab_size":23,"chord_conditioning":{"bass":true}})",
                                      "bad"),
               acc::Error);
}

TEST(ChordConditioningModel, HasOneEmbeddingTablePerSideAndNoneInTheSpecModel) {
  ModelConfig c = chord_config();
  c.chord_conditioning.target = false;
  Seq2SeqTransformer source_only(c);
  const auto params = source_only->named_parameters();
  ASSERT_TRUE(params.contains("src_chord_embed.weight"));
  EXPECT_EQ(params["src_chord_embed.weight"].sizes(), (std::vector<int64_t>{kChordIds, c.d_model}));
  EXPECT_FALSE(params.contains("tgt_chord_embed.weight"));
  c.chord_conditioning.target = true;
  EXPECT_TRUE(Seq2SeqTransformer(c)->named_parameters().contains("tgt_chord_embed.weight"));
  int chord_params = 0;
  for (const auto& p : Seq2SeqTransformer(tiny_config())->named_parameters())
    chord_params += p.key().find("chord") != std::string::npos;
  EXPECT_EQ(chord_params, 0);
}

// flops.h's count covers the tables beyond the SPEC model (bar and chord).
TEST(ChordConditioningModel, ParameterCountIncludesTheTables) {
  ModelConfig c = chord_config();
  c.bar_alignment.embeddings = true;
  c.bar_alignment.bias = true;
  for (bool target : {false, true}) {
    c.chord_conditioning.target = target;
    int64_t numel = 0;
    for (const auto& t : Seq2SeqTransformer(c)->parameters()) numel += t.numel();
    EXPECT_EQ(parameter_count(c), numel) << "target " << target;
  }
}

TEST(ChordConditioningBatch, EveryPositionGetsTheChordOfItsBar) {
  const auto counts = test_bar_counts(23);
  // Source: a note before the first Bar (bar 0), Bar, note, Bar, note -> bars 0 0 0 1 1.
  // Target: BOS, Bar, note, Bar, note, Bar (a third bar the source does not have).
  std::vector<std::vector<int64_t>> src = {{5, 4, 6, 4, 8}}, tgt = {{4, 5, 4, 6, 4}};
  const BarChords chords = {{11, 42}};
  const MusicalTime time(chord_config(), counts);
  Batch b = make_batch(src, tgt, 16, 23, time, chords);
  ASSERT_TRUE(b.source_chords.defined());
  EXPECT_TRUE(b.source_chords.equal(torch::tensor({{11, 11, 11, 42, 42}}, torch::kLong)));
  // Decoder input BOS 4 5 4 6 4: bars 0 0 0 1 1 2; bar 2 is past the source: chord 0.
  EXPECT_TRUE(b.target_chords.equal(torch::tensor({{11, 11, 11, 42, 42, 0}}, torch::kLong)));
  EXPECT_FALSE(
      make_batch(src, tgt, 16, 23, MusicalTime(chord_config(), {}), chords).source_chords.defined());  // no counts
  const BarChords two = {{1}, {2}};
  EXPECT_THROW(make_batch(src, tgt, 16, 23, time, two), acc::Error);  // one list per source
  ModelConfig bars_only = chord_config();
  bars_only.chord_conditioning = {};
  bars_only.bar_alignment.window = true;
  EXPECT_FALSE(make_batch(src, tgt, 16, 23, MusicalTime(bars_only, counts), chords).source_chords.defined());
}

TEST(ChordConditioningBatch, ChordOfBarIsZeroOutsideTheSourceBars) {
  const std::vector<int32_t> chords = {11, 0, 42};
  std::vector<int64_t> got;
  for (int64_t bar : {0, 0, 1, 2, 3, -1}) got.push_back(chord_of_bar(chords, bar));
  EXPECT_EQ(got, (std::vector<int64_t>{11, 11, 0, 42, 0, 0}));
}

TEST(ChordConditioningModel, NeedsChordIdsAndUsesThem) {
  torch::manual_seed(7);
  ModelConfig c = chord_config();
  Seq2SeqTransformer model(c);
  model->eval();
  testing::perturb_parameters(model);
  const auto counts = test_bar_counts(c.vocab_size);
  const BarChords chords = {{5, 17, 80}};
  Batch b = make_batch(std::vector<std::vector<int64_t>>{{4, 5, 6, 4, 8, 8, 4, 10}},
                       std::vector<std::vector<int64_t>>{{4, 5, 4, 6, 6}}, c.max_len, c.vocab_size,
                       MusicalTime(c, counts), chords);
  torch::NoGradGuard no_grad;
  BarIndices bars = batch_bar_indices(b, torch::kCPU);
  torch::Tensor logits = model(b.source, b.decoder_input, bars);
  BarIndices no_chords = bars;
  no_chords.source_chords = torch::Tensor();
  EXPECT_THROW(model(b.source, b.decoder_input, no_chords), acc::Error);
  no_chords = bars;
  no_chords.target_chords = torch::Tensor();
  EXPECT_THROW(model(b.source, b.decoder_input, no_chords), acc::Error);
  // Another chord on either side changes the logits.
  BarIndices other = bars;
  other.source_chords = (bars.source_chords + 1) % kChordIds;
  EXPECT_GT((model(b.source, b.decoder_input, other) - logits).abs().max().item<double>(), 1e-4);
  other = bars;
  other.target_chords = (bars.target_chords + 1) % kChordIds;
  EXPECT_GT((model(b.source, b.decoder_input, other) - logits).abs().max().item<double>(), 1e-4);
}

TEST(ChordConditioningModel, GradientsReachBothChordTables) {
  torch::manual_seed(8);
  ModelConfig c = chord_config();
  Seq2SeqTransformer model(c);
  const auto counts = test_bar_counts(c.vocab_size);
  const BarChords chords = {{3, 30, 60}};
  Batch b =
      make_batch(std::vector<std::vector<int64_t>>{{4, 5, 4, 6, 4, 8}}, std::vector<std::vector<int64_t>>{{4, 5, 4, 6}},
                 c.max_len, c.vocab_size, MusicalTime(c, counts), chords);
  sequence_loss(model(b.source, b.decoder_input, batch_bar_indices(b, torch::kCPU)), b.labels).backward();
  // The source opens bars 0..2; the decoder input (BOS 4 5 4 6) bars 0..1 only.
  for (auto [name, used] : {std::pair<const char*, std::vector<int64_t>>{"src_chord_embed.weight", {3, 30, 60}},
                            {"tgt_chord_embed.weight", {3, 30}}}) {
    torch::Tensor grad = model->named_parameters()[name].grad();
    ASSERT_TRUE(grad.defined()) << name;
    for (int64_t id : used) EXPECT_GT(grad[id].abs().sum().item<double>(), 0.0) << name << " " << id;
    EXPECT_EQ(grad[4].abs().sum().item<double>(), 0.0) << name;  // an unused chord gets no gradient
  }
  EXPECT_EQ(model->named_parameters()["tgt_chord_embed.weight"].grad()[60].abs().sum().item<double>(), 0.0);
}

// Teacher-forced incremental decoding with chords equals the full pass, also
// after dropping and reordering rows.
TEST(ChordConditioningModel, IncrementalDecodingEqualsTheFullForward) {
  torch::manual_seed(9);
  std::mt19937 rng(9);
  ModelConfig c = chord_config();
  Seq2SeqTransformer model(c);
  model->eval();
  testing::perturb_parameters(model);
  const auto counts = test_bar_counts(c.vocab_size);
  std::vector<std::vector<int64_t>> src, tgt;
  for (size_t n : {14, 5, 9}) src.push_back(random_tokens(rng, n, c.vocab_size));
  for (size_t n : {15, 11, 6}) tgt.push_back(random_tokens(rng, n, c.vocab_size));
  for (auto* seqs : {&src, &tgt})
    for (auto& seq : *seqs)
      for (size_t i = 0; i < seq.size(); i += 3) seq[i] = 4;
  BarChords chords;
  for (size_t i = 0; i < src.size(); ++i) chords.push_back(random_chords(rng, 4));
  Batch b = make_batch(src, tgt, c.max_len, c.vocab_size, MusicalTime(c, counts), chords);
  torch::NoGradGuard no_grad;
  torch::Tensor full = model(b.source, b.decoder_input, batch_bar_indices(b, torch::kCPU));  // [B, T, V]
  // fp32: incremental = full forward holds in fp32 (see bar_alignment_test.cpp).
  IncrementalDecoder decoder(model, b.source, 4, b.source_bars, b.source_chords, "fp32");
  const int64_t T = b.decoder_input.size(1);
  double worst = 0.0;
  for (int64_t t = 0; t < 6; ++t) {
    torch::Tensor step =
        decoder.step(b.decoder_input.select(1, t), b.target_bars.select(1, t), b.target_chords.select(1, t));
    worst = std::max(worst, (step - full.select(1, t)).abs().max().item<double>());
  }
  torch::Tensor rows = torch::tensor({2, 0}, torch::kLong);
  decoder.select(rows);
  torch::Tensor input = b.decoder_input.index_select(0, rows), bars = b.target_bars.index_select(0, rows);
  torch::Tensor chord_ids = b.target_chords.index_select(0, rows);
  torch::Tensor want = full.index_select(0, rows);
  int compared = 0;
  for (int64_t t = 6; t < T; ++t) {
    torch::Tensor step = decoder.step(input.select(1, t), bars.select(1, t), chord_ids.select(1, t));
    for (int64_t r = 0; r < 2; ++r)
      if (input[r][t].item<int64_t>() != kPad) {
        worst = std::max(worst, (step[r] - want[r][t]).abs().max().item<double>());
        ++compared;
      }
  }
  ASSERT_GT(compared, 0);
  RecordProperty("max_abs_diff", std::to_string(worst));
  EXPECT_LT(worst, 1e-4);
  // The decoder needs the chord of each step.
  IncrementalDecoder again(model, b.source, 4, b.source_bars, b.source_chords, "fp32");
  EXPECT_THROW(again.step(b.decoder_input.select(1, 0), b.target_bars.select(1, 0)), acc::Error);
}

// The C++ model with chord conditioning against tests/reference/model_reference.py.
TEST(ChordConditioningReference, LogitsMatchTheIndependentPythonModel) {
  ScratchDir dir("chord-reference");
  torch::manual_seed(27);
  std::mt19937 rng(27);
  ModelConfig c = chord_config();
  Seq2SeqTransformer model(c);
  testing::perturb_parameters(model);
  export_weights(model, dir.file("weights.h5"));
  const auto counts = test_bar_counts(c.vocab_size);
  auto pairs = random_pairs(rng, c, {4, 11, 1, 16, 20, 7}, {9, 3, 15, 0, 6, 22});
  for (auto* seqs : {&pairs[1].source, &pairs[4].target})  // more bars than the random ids give
    for (size_t i = 0; i < seqs->size(); i += 4) (*seqs)[i] = 4;
  for (size_t i = 0; i < pairs.size(); ++i) pairs[i].source_bar_chords = random_chords(rng, i % 3 == 2 ? 0 : 5);
  testing::write_json_array(dir.file("bar_counts.json"), counts);
  {
    std::ofstream chords_out(dir.file("bar_chords.json"));
    chords_out << "[";
    for (size_t i = 0; i < pairs.size(); ++i) {
      chords_out << (i ? ",[" : "[");
      for (size_t k = 0; k < pairs[i].source_bar_chords.size(); ++k)
        chords_out << (k ? "," : "") << pairs[i].source_bar_chords[k];
      chords_out << "]";
    }
    chords_out << "]\n";
  }
  ScoreOptions opts;
  opts.batch_size = 3;
  opts.logits_path = dir.file("cpp.h5");
  opts.time = MusicalTime(c, counts);
  ScoreResult cpp = score_pairs(model, pairs, opts);

  const testing::ReferenceComparison r = testing::compare_with_python_reference(
      dir, dir.file("weights.h5"), dir.file("cpp.h5"), pairs.size(),
      "--bar-counts " + dir.file("bar_counts.json") + " --bar-chords " + dir.file("bar_chords.json"));
  RecordProperty("max_abs_diff", std::to_string(r.max_abs_diff));
  std::printf("C++ vs reference (chord conditioning): max abs logit difference %.3g\n", r.max_abs_diff);
  EXPECT_LT(r.max_abs_diff, 1e-4);
  EXPECT_NEAR(cpp.mean_loss, r.reference_mean_loss, 1e-5);
}

}  // namespace
}  // namespace acc::model
