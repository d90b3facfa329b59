// `accompanist export` and `accompanist score` on a small checkpoint and
// corpus: the outputs agree with the library, and bad input (missing or
// incomplete checkpoints, missing corpus, mismatched tokenizer, unwritable
// output) gives exit 1 and one `error: ` line, never a partial output file.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/cli_runner.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/data/corpus_writer.h"
#include "accompanist/model/checkpoint.h"
#include "accompanist/model/score.h"
#include "accompanist/model/weights.h"
#include "accompanist/util/hdf5.h"

namespace {

namespace fs = std::filesystem;
using acc::model::ModelConfig;
using acc::model::Seq2SeqTransformer;

const std::string kBinary = ACC_BINARY_DIR "/bin/accompanist";

using acc::testing::RunResult;
using acc::testing::slurp;

fs::path work_dir() {
  return acc::testing::scratch_dir("model_cli_test");
}

RunResult run(const std::vector<std::string>& args) {
  return acc::testing::run_binary(kBinary, args, work_dir());
}

// exit 1, nothing on stdout, one line on stderr starting "error: " and containing `needle`.
void expect_error(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

ModelConfig small_config() {
  ModelConfig c;
  c.d_model = 16;
  c.enc_layers = 1;
  c.dec_layers = 1;
  c.heads = 2;
  c.ff = 16;
  c.max_len = 24;
  c.max_relative_distance = 8;
  c.vocab_size = 30;
  return c;
}

const std::string kTokenizer =
    R"({"format":"accompanist-tokenizer","version":1,"base":"remi-miditok-2.1","vocab_size":30,"merges":[]})";

// A checkpoint (with COMPLETE and tokenizer.json) and a corpus with 5 valid pairs.
class ModelCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path dir = work_dir();
    fs::remove_all(dir / "ckpt");
    torch::manual_seed(31);
    Seq2SeqTransformer model(small_config());
    acc::model::save_model(model, (dir / "ckpt").string());
    std::ofstream(dir / "ckpt" / "COMPLETE") << "\n";
    std::ofstream(dir / "ckpt" / "tokenizer.json") << kTokenizer;

    std::mt19937 rng(31);
    std::uniform_int_distribution<int> id(4, 29), len(1, 30);
    acc::data::CorpusWriter writer((dir / "corpus.h5").string(), {kTokenizer, "piano->bass", "{}\n"});
    pairs_.clear();
    for (const char* split : {"train", "valid", "test"}) {
      for (uint32_t i = 0; i < 5; ++i) {
        std::vector<int> s(len(rng)), t(len(rng));
        for (int& x : s) x = id(rng);
        for (int& x : t) x = id(rng);
        writer.add(split, s, t, i, 0);
        if (std::string(split) == "valid")
          pairs_.push_back({std::vector<int64_t>(s.begin(), s.end()), std::vector<int64_t>(t.begin(), t.end()), {}});
      }
    }
    writer.set_songs({"a.mid", "b.mid", "c.mid", "d.mid", "e.mid"});
    writer.commit();
  }
  static std::string ckpt() { return (work_dir() / "ckpt").string(); }
  static std::string corpus() { return (work_dir() / "corpus.h5").string(); }
  static inline std::vector<acc::model::TokenPair> pairs_;
};

TEST_F(ModelCli, ExportWritesTheCheckpointWeights) {
  const std::string out = (work_dir() / "weights.h5").string();
  fs::remove(out);
  RunResult r = run({"export", "--checkpoint", ckpt(), "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Seq2SeqTransformer from_ckpt = acc::model::load_model(ckpt());
  Seq2SeqTransformer from_h5 = acc::model::import_weights(out);
  EXPECT_EQ(from_h5->config(), small_config());
  auto want = from_ckpt->named_parameters();
  for (const auto& item : from_h5->named_parameters()) EXPECT_TRUE(item.value().equal(want[item.key()]));
}

TEST_F(ModelCli, ExportBadCheckpoints) {
  const fs::path dir = work_dir();
  const std::string out = (dir / "bad.h5").string();
  fs::remove(out);
  expect_error(run({"export", "--checkpoint", (dir / "missing").string(), "--out", out}), "does not exist");

  // Copies of the checkpoint with one piece missing.
  auto partial = [&](const std::string& name, const char* drop) {
    const fs::path p = dir / name;
    fs::remove_all(p);
    fs::copy(ckpt(), p);
    fs::remove(p / drop);
    return p.string();
  };
  expect_error(run({"export", "--checkpoint", partial("no_marker", "COMPLETE"), "--out", out}), "COMPLETE");
  expect_error(run({"export", "--checkpoint", partial("no_weights", "model.pt"), "--out", out}), "model.pt");
  expect_error(run({"export", "--checkpoint", partial("no_config", "model.yaml"), "--out", out}), "model.yaml");
  // A truncated model.pt.
  const std::string cut = partial("cut", "tokenizer.json");
  fs::resize_file(fs::path(cut) / "model.pt", 100);
  expect_error(run({"export", "--checkpoint", cut, "--out", out}), "model.pt");
  // A model.yaml with a bad value.
  const std::string bad_yaml = partial("bad_yaml", "tokenizer.json");
  {
    std::string yaml = slurp(fs::path(bad_yaml) / "model.yaml");
    yaml.replace(yaml.find("heads: 2"), 8, "heads: -1");
    std::ofstream(fs::path(bad_yaml) / "model.yaml") << yaml;
  }
  expect_error(run({"export", "--checkpoint", bad_yaml, "--out", out}), "heads");
  EXPECT_FALSE(fs::exists(out));

  expect_error(run({"export", "--checkpoint", ckpt(), "--out", (dir / "no" / "such" / "dir.h5").string()}), "dir.h5");
}

TEST_F(ModelCli, ScoreMatchesTheLibraryAndWritesLogits) {
  const std::string logits = (work_dir() / "logits.h5").string();
  fs::remove(logits);
  RunResult r = run({"score", "--checkpoint", ckpt(), "--corpus", corpus(), "--split", "valid", "--limit", "3",
                     "--logits", logits, "--batch-size", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pairs"], 3);
  Seq2SeqTransformer model = acc::model::load_model(ckpt());
  std::vector<acc::model::TokenPair> first3(pairs_.begin(), pairs_.begin() + 3);
  acc::model::ScoreResult want = acc::model::score_pairs(model, first3, {});
  EXPECT_NEAR(j["mean_loss"].get<double>(), want.mean_loss, 1e-5);
  EXPECT_EQ(j["label_tokens"], want.label_tokens);

  auto root = acc::util::h5::File::open_read(logits).root();
  EXPECT_EQ(root.children(), (std::vector<std::string>{"pair_0000", "pair_0001", "pair_0002"}));
  for (int i = 0; i < 3; ++i) {
    auto g = root.group("pair_000" + std::to_string(i));
    const uint64_t rows = std::min<uint64_t>(pairs_[i].target.size() + 1, small_config().max_len);
    EXPECT_EQ(g.shape("logits"), (std::vector<uint64_t>{rows, 30}));
    auto src = g.read<uint16_t>("source");
    EXPECT_EQ(std::vector<int64_t>(src.begin(), src.end()), pairs_[i].source);
  }

  RunResult all = run({"score", "--checkpoint", ckpt(), "--corpus", corpus(), "--split", "valid"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(nlohmann::json::parse(all.out)["pairs"], 5);
}

TEST_F(ModelCli, ScoreBadInput) {
  const fs::path dir = work_dir();
  expect_error(run({"score", "--checkpoint", ckpt(), "--corpus", (dir / "absent.h5").string()}), "absent.h5");
  std::ofstream(dir / "text.h5") << "not a corpus";
  expect_error(run({"score", "--checkpoint", ckpt(), "--corpus", (dir / "text.h5").string()}), "text.h5");
  expect_error(run({"score", "--checkpoint", (dir / "missing").string(), "--corpus", corpus()}), "does not exist");

  // A checkpoint trained with another tokenizer.
  const fs::path other = dir / "other_tok";
  fs::remove_all(other);
  fs::copy(ckpt(), other);
  std::ofstream(other / "tokenizer.json")
      << R"({"format":"accompanist-tokenizer","version":1,"base":"remi-miditok-2.1","vocab_size":29,"merges":[]})";
  expect_error(run({"score", "--checkpoint", other.string(), "--corpus", corpus()}), "tokenizer");

  RunResult bad_split = run({"score", "--checkpoint", ckpt(), "--corpus", corpus(), "--split", "nope"});
  EXPECT_NE(bad_split.exit_code, 0);
  EXPECT_EQ(bad_split.out, "");
}

}  // namespace
