// Weights export/import, checkpoint directories, scoring, and the comparison
// with the independent PyTorch reference (tests/reference/model_reference.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "accompanist/model/checkpoint.h"
#include "accompanist/model/score.h"
#include "accompanist/model/weights.h"
#include "accompanist/util/error.h"
#include "accompanist/util/hdf5.h"
#include "model/model_test_util.h"

namespace acc::model {
namespace {

using testing::random_pairs;
using testing::ScratchDir;
using testing::tiny_config;
namespace h5 = acc::util::h5;

void expect_same_parameters(const Seq2SeqTransformer& a, const Seq2SeqTransformer& b) {
  auto pb = b->named_parameters();
  ASSERT_EQ(a->named_parameters().size(), pb.size());
  for (const auto& item : a->named_parameters()) {
    const torch::Tensor* other = pb.find(item.key());
    ASSERT_NE(other, nullptr) << item.key();
    EXPECT_TRUE(item.value().equal(*other)) << item.key();
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const acc::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Weights, ExportImportRoundTrip) {
  ScratchDir dir("weights");
  torch::manual_seed(21);
  Seq2SeqTransformer model(tiny_config());
  export_weights(model, dir.file("w.h5"));
  // Only the final file is left (the temporary was renamed).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
  Seq2SeqTransformer back = import_weights(dir.file("w.h5"));
  EXPECT_EQ(back->config(), model->config());
  expect_same_parameters(model, back);

  auto root = h5::File::open_read(dir.file("w.h5")).root();
  EXPECT_EQ(ModelConfig::from_json(root.attr_string("config"), "attr"), tiny_config());
  EXPECT_EQ(root.group("weights").shape("decoder.layers.1.self_attn.rel"),
            (std::vector<uint64_t>{2, 5, 8}));  // [H, R, dk]
  EXPECT_EQ(root.group("weights").shape("encoder.layers.0.self_attn.rel"), (std::vector<uint64_t>{2, 9, 8}));
}

// Rewrites a valid export with one change, then checks the import error.
class BadWeights : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(22);
    model_ = Seq2SeqTransformer(tiny_config());
  }
  // mutate(weights group, name) decides what to write for each parameter.
  std::string write(const std::function<bool(const h5::Group&, const std::string&, const torch::Tensor&)>& custom,
                    const std::string& config_json) {
    const std::string path = dir_.file("bad.h5");
    auto file = h5::File::create(path);
    auto root = file.root();
    if (!config_json.empty()) root.set_attr("config", config_json);
    auto weights = root.create_group("weights");
    for (const auto& item : model_->named_parameters()) {
      torch::Tensor t = item.value().detach().contiguous();
      if (custom(weights, item.key(), t)) continue;
      std::vector<uint64_t> dims(t.sizes().begin(), t.sizes().end());
      weights.write_raw(item.key(), h5::native_type<float>(), dims, t.data_ptr<float>());
    }
    file.close();
    return path;
  }
  ScratchDir dir_{"badweights"};
  Seq2SeqTransformer model_{nullptr};
};

TEST_F(BadWeights, MissingDatasetIsNamed) {
  auto path =
      write([](auto&, const std::string& name, auto&) { return name == "out_proj.bias"; }, tiny_config().to_json());
  std::string e = error_of([&] { import_weights(path); });
  EXPECT_NE(e.find("out_proj.bias"), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
}

TEST_F(BadWeights, WrongShapeIsNamed) {
  auto path = write(
      [](const h5::Group& g, const std::string& name, const torch::Tensor&) {
        if (name != "encoder.layers.1.self_attn.rel") return false;
        std::vector<float> zeros(2 * 3 * 8);
        g.write_raw(name, h5::native_type<float>(), {2, 3, 8}, zeros.data());
        return true;
      },
      tiny_config().to_json());
  std::string e = error_of([&] { import_weights(path); });
  EXPECT_NE(e.find("encoder.layers.1.self_attn.rel"), std::string::npos) << e;
  EXPECT_NE(e.find("[2, 3, 8], expected [2, 9, 8]"), std::string::npos) << e;
}

TEST_F(BadWeights, ExtraDatasetAndBadConfig) {
  auto extra = write(
      [](const h5::Group& g, const std::string& name, const torch::Tensor&) {
        if (name == "out_proj.bias") g.write("decoder.layers.9.ffn.fc1.bias", std::vector<float>{1.f});
        return false;
      },
      tiny_config().to_json());
  EXPECT_NE(error_of([&] { import_weights(extra); }).find("unexpected dataset"), std::string::npos);

  auto no_config = write([](auto&, auto&, auto&) { return false; }, "");
  EXPECT_NE(error_of([&] { import_weights(no_config); }).find("config"), std::string::npos);

  ModelConfig other = tiny_config();
  other.d_model = 32;
  auto mismatch = write([](auto&, auto&, auto&) { return false; }, other.to_json());
  std::string e = error_of([&] { import_weights(mismatch); });
  EXPECT_NE(e.find("shape"), std::string::npos) << e;

  EXPECT_NE(error_of([&] { import_weights(dir_.file("absent.h5")); }).find("absent.h5"), std::string::npos);
  std::ofstream(dir_.file("text.h5")) << "not hdf5";
  EXPECT_NE(error_of([&] { import_weights(dir_.file("text.h5")); }), "(no error)");

  // import_weights_into: the file must describe the same shape.
  auto good = write([](auto&, auto&, auto&) { return false; }, tiny_config().to_json());
  ModelConfig bigger = tiny_config();
  bigger.dec_layers = 3;
  Seq2SeqTransformer target(bigger);
  EXPECT_NE(error_of([&] { import_weights_into(target, good); }).find("differs"), std::string::npos);
}

TEST(Checkpoint, SaveLoadRoundTripAndErrors) {
  ScratchDir dir("ckpt");
  torch::manual_seed(23);
  Seq2SeqTransformer model(tiny_config());
  const std::string ckpt = dir.file("step-00000010");
  save_model(model, ckpt);
  EXPECT_TRUE(std::filesystem::exists(ckpt + "/model.pt"));
  EXPECT_TRUE(std::filesystem::exists(ckpt + "/model.yaml"));
  EXPECT_EQ(load_model_config(ckpt), tiny_config());
  Seq2SeqTransformer back = load_model(ckpt);
  expect_same_parameters(model, back);

  // Incomplete: no COMPLETE marker, then with it.
  EXPECT_NE(error_of([&] { require_complete_checkpoint(ckpt); }).find("COMPLETE"), std::string::npos);
  std::ofstream(ckpt + "/COMPLETE").put('\n');
  EXPECT_EQ(error_of([&] { require_complete_checkpoint(ckpt); }), "(no error)");
  EXPECT_NE(error_of([&] { load_model(dir.file("nope")); }).find("does not exist"), std::string::npos);

  // model.yaml describing another shape than model.pt: the parameter is named.
  ModelConfig other = tiny_config();
  other.max_relative_distance = 7;
  {
    std::ofstream yaml(ckpt + "/model.yaml");
    yaml << acc::util::dump_config(other);
  }
  std::string e = error_of([&] { load_model(ckpt); });
  EXPECT_NE(e.find("self_attn.rel"), std::string::npos) << e;
  EXPECT_NE(e.find("shape"), std::string::npos) << e;

  // More layers in model.yaml than in model.pt.
  other = tiny_config();
  other.enc_layers = 3;
  {
    std::ofstream yaml(ckpt + "/model.yaml");
    yaml << acc::util::dump_config(other);
  }
  EXPECT_NE(error_of([&] { load_model(ckpt); }).find("model.pt"), std::string::npos);

  std::filesystem::remove(ckpt + "/model.pt");
  EXPECT_NE(error_of([&] { load_model(ckpt); }).find("no model.pt"), std::string::npos);
  std::filesystem::remove(ckpt + "/model.yaml");
  EXPECT_NE(error_of([&] { load_model(ckpt); }).find("no model.yaml"), std::string::npos);
}

TEST(Score, LossDoesNotDependOnBatchingAndLogitsAreWritten) {
  ScratchDir dir("score");
  torch::manual_seed(24);
  std::mt19937 rng(24);
  ModelConfig c = tiny_config();
  Seq2SeqTransformer model(c);
  model->train();  // score must switch to eval and back
  auto pairs = random_pairs(rng, c, {3, 9, 1, 12, 7}, {5, 2, 20, 8, 0});
  ScoreOptions one;
  one.batch_size = 1;
  ScoreOptions all;
  all.batch_size = 4;
  all.logits_path = dir.file("logits.h5");
  ScoreResult a = score_pairs(model, pairs, one);
  ScoreResult b = score_pairs(model, pairs, all);
  EXPECT_TRUE(model->is_training());
  EXPECT_NEAR(a.mean_loss, b.mean_loss, 1e-5);
  EXPECT_EQ(a.pairs, 5);
  EXPECT_EQ(a.label_tokens, 6 + 3 + 16 + 9 + 1);  // the 20-token target is cut to max_len 16
  EXPECT_GT(a.mean_loss, 1.0);

  auto root = h5::File::open_read(all.logits_path).root();
  EXPECT_EQ(root.children().size(), 5u);
  EXPECT_EQ(root.group("pair_0002").shape("logits"), (std::vector<uint64_t>{16, 23}));
  EXPECT_EQ(root.group("pair_0004").shape("logits"), (std::vector<uint64_t>{1, 23}));
  auto target = root.group("pair_0003").read<uint16_t>("target");
  EXPECT_EQ(std::vector<int64_t>(target.begin(), target.end()), pairs[3].target);
}

// The C++ model against tests/reference/model_reference.py: same exported
// weights, C++ logits from padded batches, reference logits pair by pair.
TEST(Reference, LogitsMatchTheIndependentPythonModel) {
  ScratchDir dir("reference");
  torch::manual_seed(25);
  std::mt19937 rng(25);
  ModelConfig c = tiny_config();  // R = 5, max_len 16: distances past R-1 and truncation both occur
  Seq2SeqTransformer model(c);
  // Random LayerNorm parameters and biases so that every weight matters.
  testing::perturb_parameters(model);
  export_weights(model, dir.file("weights.h5"));
  auto pairs = random_pairs(rng, c, {4, 11, 1, 16, 20, 7}, {9, 3, 15, 0, 6, 22});
  ScoreOptions opts;
  opts.batch_size = 3;
  opts.logits_path = dir.file("cpp.h5");
  ScoreResult cpp = score_pairs(model, pairs, opts);

  const testing::ReferenceComparison r =
      testing::compare_with_python_reference(dir, dir.file("weights.h5"), dir.file("cpp.h5"), pairs.size());
  RecordProperty("max_abs_diff", std::to_string(r.max_abs_diff));
  std::printf("C++ vs reference: max abs logit difference %.3g\n", r.max_abs_diff);
  EXPECT_LT(r.max_abs_diff, 1e-4);
  EXPECT_NEAR(cpp.mean_loss, r.reference_mean_loss, 1e-5);
}

}  // namespace
}  // namespace acc::model
