// `accompanist evaluate` end to end on a small corpus written here: fake
// samples (generated = reference, generated = another sample's reference,
// reference-only) and every kind of bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "common/scratch_dir.h"

namespace {

namespace fs = std::filesystem;
using acc::tokenizer::TokenSeq;

struct RunResult {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RunResult run_accompanist(const std::string& args, const fs::path& work) {
  const fs::path out = work / "stdout.txt", err = work / "stderr.txt";
  const std::string cmd =
      std::string(ACC_BINARY_DIR) + "/bin/accompanist " + args + " >" + out.string() + " 2>" + err.string();
  RunResult r;
  const int status = std::system(cmd.c_str());
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// A part of `bars` bars: piano chords on a rhythm, or a bass line, in a key.
std::vector<acc::midi::Note> part(int root, bool minor, bool piano, int bars, int variant) {
  const int tpq = 384;
  const int third = root + (minor ? 3 : 4), fifth = root + 7;
  std::vector<acc::midi::Note> notes;
  for (int b = 0; b < bars; ++b) {
    const int64_t t = int64_t(b) * 4 * tpq;
    if (piano) {
      for (int step : {0, 12, 16, 28 - 4 * (variant % 3)})
        for (int p : {root + 24, third + 24, fifth + 24}) notes.push_back({p, 80, t + step * 48, t + step * 48 + 200});
    } else {
      int i = 0;
      for (int p : {root, fifth, root + 12, third}) {
        if (variant % 2 && i == 3) break;
        notes.push_back({p, 90, t + i * 8 * 48, t + i * 8 * 48 + 300});
        ++i;
      }
    }
  }
  return notes;
}

class EvaluateCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(acc::testing::scratch_dir("evaluate_test"));
    // Pairs in several keys, two tokenizers (different BPE sizes).
    std::vector<std::pair<TokenSeq, TokenSeq>> pairs;
    const std::array<std::pair<int, bool>, 8> keys = {
        {{36, false}, {45, true}, {34, false}, {43, false}, {40, true}, {38, false}, {41, false}, {33, true}}};
    for (size_t i = 0; i < keys.size(); ++i) {
      const auto [root, minor] = keys[i];
      pairs.emplace_back(acc::tokenizer::encode_remi(part(root, minor, true, 8, int(i)), 384),
                         acc::tokenizer::encode_remi(part(root, minor, false, 6 + int(i % 3), int(i)), 384));
    }
    std::vector<TokenSeq> base;
    for (const auto& p : pairs) {
      base.push_back(p.first);
      base.push_back(p.second);
    }
    for (auto [name, vocab] : {std::pair<const char*, size_t>{"corpus.h5", 240}, {"other.h5", 220}}) {
      acc::tokenizer::BpeTrainOptions options;
      options.vocab_size = vocab;
      const auto tok = acc::tokenizer::Tokenizer::train(base, options);
      acc::data::CorpusWriter writer((*dir_ / name).string(), {tok.to_json(), "piano->bass", "{}"});
      writer.set_songs({"a/x.mid", "b/y.mid"});
      for (size_t i = 0; i < pairs.size(); ++i) {
        const auto s = tok.apply_bpe(pairs[i].first), t = tok.apply_bpe(pairs[i].second);
        writer.add(i < 2 ? "train" : "valid", std::vector<int>(s.begin(), s.end()),
                   std::vector<int>(t.begin(), t.end()), uint32_t(i % 2), uint32_t(i));
      }
      writer.commit();
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  // DIR/samples.jsonl from the valid split: generated = reference of pair
  // perm[i] (identity: a perfect model).
  static fs::path write_samples(const std::string& name, const std::vector<size_t>& perm,
                                const std::string& extra = "") {
    const auto corpus = acc::data::Corpus::open((*dir_ / "corpus.h5").string());
    const auto& valid = corpus.split("valid");
    const fs::path d = *dir_ / name;
    fs::create_directories(d);
    std::ofstream out(d / "samples.jsonl");
    for (size_t i = 0; i < valid.size(); ++i) {
      nlohmann::json line = {{"index", i},
                             {"source", valid.source(i).to_ids()},
                             {"reference", valid.target(i).to_ids()},
                             {"generated", valid.target(perm[i]).to_ids()}};
      if (!extra.empty()) line["tokenizer_sha256"] = extra;
      out << line.dump() << "\n";
    }
    return d;
  }

  static std::string corpus() { return (*dir_ / "corpus.h5").string(); }
  static fs::path* dir_;
};

fs::path* EvaluateCommand::dir_ = nullptr;

const std::vector<size_t> kIdentity = {0, 1, 2, 3, 4, 5};
const std::vector<size_t> kRotated = {1, 2, 3, 4, 5, 0};

TEST_F(EvaluateCommand, PerfectSamplesGiveEveryFigure) {
  const fs::path samples = write_samples("perfect", kIdentity);
  const fs::path out = *dir_ / "perfect_report";
  const RunResult r = run_accompanist("evaluate --samples " + samples.string() + " --corpus " + corpus() + " --out " +
                                          out.string() + " --pairs 100000 --seed 3",
                                      *dir_);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("wrote"), std::string::npos);
  for (const char* f : {"report.json", "report.md", "plot_data.json"}) EXPECT_TRUE(fs::exists(out / f)) << f;
  const auto j = nlohmann::json::parse(slurp(out / "report.json"));
  // Every key of SPEC section 9.
  EXPECT_EQ(j["samples"], 6);
  EXPECT_EQ(j["decodable"], 6);
  for (const char* set : {"validation", "generated", "mock"}) EXPECT_EQ(j["rhythm"]["position_hist"][set].size(), 32u);
  for (const char* set : {"validation", "generated"}) EXPECT_TRUE(j["rhythm"]["notes_per_bar"][set].is_number());
  for (const char* set : {"generated", "mock", "pairs"}) EXPECT_TRUE(j["rhythm"]["levenshtein"][set].is_number());
  for (const char* set : {"generated", "shuffled"}) EXPECT_EQ(j["key"]["topk_match"][set].size(), 24u);
  ASSERT_EQ(j["key"]["per_sample"].size(), 6u);
  for (const auto& s : j["key"]["per_sample"]) {
    EXPECT_TRUE(s.contains("index"));
    EXPECT_TRUE(s["reference_key"].is_string());
    EXPECT_EQ(s["generated_keys"].size(), 24u);
    EXPECT_EQ(s["generated_keys"][0], s["reference_key"]);
  }
  for (const char* set : {"reference", "generated"}) EXPECT_TRUE(j["empty_bar_rate"][set].is_number());
  EXPECT_DOUBLE_EQ(j["grammar_error_rate"].get<double>(), 0.0);
  // A perfect model: generated = the validation set it is compared with.
  EXPECT_DOUBLE_EQ(j["key"]["topk_match"]["generated"][0].get<double>(), 1.0);
  EXPECT_EQ(j["rhythm"]["position_hist"]["generated"], j["rhythm"]["position_hist"]["validation"]);
  EXPECT_DOUBLE_EQ(j["rhythm"]["levenshtein"]["aligned"].get<double>(), 0.0);
  EXPECT_LT(j["rhythm"]["levenshtein"]["generated"].get<double>(), j["rhythm"]["levenshtein"]["mock"].get<double>());
  EXPECT_EQ(j["empty_bar_rate"]["generated"], j["empty_bar_rate"]["reference"]);
  // The extras.
  for (const char* key : {"pitch", "polyphony", "groove_consistency", "chroma_agreement", "token_histograms"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["token_histograms"]["validation"]["bpe_counts"].size(), 240u);
  // Harmony (issue 13): a perfect model matches its reference.
  for (const char* measure : {"root_agreement", "chord_tone_rate", "bars_filled", "bars_counted"}) {
    for (const char* set : {"generated", "reference", "mock", "shuffled"})
      EXPECT_TRUE(j["harmony"][measure][set].is_number()) << measure << " " << set;
    EXPECT_EQ(j["harmony"][measure]["generated"], j["harmony"][measure]["reference"]) << measure;
  }
  EXPECT_EQ(j["harmony"]["per_sample"].size(), 6u);
  EXPECT_EQ(j["harmony"]["per_bar"].size(), 4u);
  EXPECT_NE(slurp(out / "report.md").find("## Harmony"), std::string::npos);
  // Plots need Debian's python3 with matplotlib (present on the build machine).
  if (fs::exists("/usr/bin/python3") && r.err.find("plots skipped") == std::string::npos) {
    for (const char* plot : {"position_hist", "key_topk", "token_hist", "notes_per_bar", "harmony", "piano_rolls"})
      EXPECT_TRUE(fs::exists(out / "plots" / (std::string(plot) + ".png"))) << plot;
  }

  // The same seed gives the same report; another seed other random figures.
  const fs::path again = *dir_ / "perfect_again";
  ASSERT_EQ(run_accompanist("evaluate --samples " + samples.string() + " --corpus " + corpus() + " --out " +
                                again.string() + " --pairs 100000 --seed 3 --no-plots --threads 1",
                            *dir_)
                .rc,
            0);
  EXPECT_EQ(nlohmann::json::parse(slurp(again / "report.json")), j);
}

TEST_F(EvaluateCommand, ShuffledSamplesScoreWorse) {
  const fs::path samples = write_samples("rotated", kRotated);
  const fs::path out = *dir_ / "rotated_report";
  const RunResult r = run_accompanist("evaluate --samples " + samples.string() + " --corpus " + corpus() + " --out " +
                                          out.string() + " --pairs 100000 --no-plots",
                                      *dir_);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_LT(j["key"]["topk_match"]["generated"][0].get<double>(), 1.0);
  EXPECT_GT(j["rhythm"]["levenshtein"]["aligned"].get<double>(), 0.0);
  EXPECT_FALSE(fs::exists(out / "plots"));
}

TEST_F(EvaluateCommand, ReferenceOnly) {
  const fs::path out = *dir_ / "reference_report";
  const RunResult r = run_accompanist("evaluate --reference-only --corpus " + corpus() + " --split valid --out " +
                                          out.string() + " --pairs 50000 --no-plots",
                                      *dir_);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(j["mode"], "reference-only");
  EXPECT_EQ(j["samples"], 6);
  EXPECT_DOUBLE_EQ(j["key"]["topk_match"]["generated"][0].get<double>(), 1.0);
  // The harmony ceiling: generated = reference.
  for (const char* measure : {"root_agreement", "chord_tone_rate", "bars_filled", "bars_counted"})
    EXPECT_EQ(j["harmony"][measure]["generated"], j["harmony"][measure]["reference"]) << measure;
  EXPECT_DOUBLE_EQ(j["harmony"]["bars_filled"]["generated"].get<double>(), 1.0);
}

TEST_F(EvaluateCommand, BadInputGivesOneErrorLine) {
  auto expect_error = [&](const std::string& args, const std::string& message, const fs::path& out) {
    const RunResult r = run_accompanist("evaluate " + args + " --out " + out.string(), *dir_);
    EXPECT_NE(r.rc, 0) << args;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out / "report.json")) << args;
  };
  const fs::path out = *dir_ / "bad_report";
  const std::string c = " --corpus " + corpus() + " --pairs 1000";

  fs::create_directories(*dir_ / "empty_dir");
  expect_error("--samples " + (*dir_ / "empty_dir").string() + c, "samples.jsonl: missing", out);
  expect_error("--samples " + (*dir_ / "no_such_dir").string() + c, "no such directory", out);

  const fs::path blank = *dir_ / "blank";
  fs::create_directories(blank);
  std::ofstream(blank / "samples.jsonl") << "\n";
  expect_error("--samples " + blank.string() + c, "no samples", out);

  const fs::path malformed = write_samples("malformed", kIdentity);
  std::ofstream(malformed / "samples.jsonl", std::ios::app) << "{\"index\": 7, \"source\": [4, \n";
  expect_error("--samples " + malformed.string() + c, "samples.jsonl:7: malformed JSON", out);

  const fs::path beyond = *dir_ / "beyond";
  fs::create_directories(beyond);
  std::ofstream(beyond / "samples.jsonl")
      << "{\"index\": 0, \"source\": [4], \"reference\": [4], \"generated\": [4, 300]}\n";
  expect_error("--samples " + beyond.string() + c, "token id 300, outside the vocabulary", out);

  // Samples made with the other corpus's tokenizer (recorded per line, or in meta.json).
  const auto other_sha = acc::data::Corpus::open((*dir_ / "other.h5").string()).tokenizer_sha256();
  const fs::path foreign = write_samples("foreign", kIdentity, other_sha);
  expect_error("--samples " + foreign.string() + c, "made with tokenizer " + other_sha, out);
  const fs::path foreign_meta = write_samples("foreign_meta", kIdentity);
  std::ofstream(foreign_meta / "meta.json") << nlohmann::json({{"tokenizer_sha256", other_sha}}).dump();
  expect_error("--samples " + foreign_meta.string() + c, "meta.json: made with tokenizer", out);
  // ... while the matching hash is accepted.
  const auto sha = acc::data::Corpus::open(corpus()).tokenizer_sha256();
  const fs::path own = write_samples("own", kIdentity, sha);
  EXPECT_EQ(
      run_accompanist(
          "evaluate --samples " + own.string() + c + " --out " + (*dir_ / "own_report").string() + " --no-plots", *dir_)
          .rc,
      0);

  expect_error("--samples " + own.string() + " --corpus " + (*dir_ / "missing.h5").string(), "missing.h5", out);
  std::ofstream(*dir_ / "not_a_corpus.h5") << "hello";
  expect_error("--samples " + own.string() + " --corpus " + (*dir_ / "not_a_corpus.h5").string(), "not_a_corpus.h5",
               out);
  expect_error(c.substr(1), "--samples: required", out);
  expect_error("--reference-only --samples " + own.string() + c, "--samples: not used", out);
  expect_error("--samples " + own.string() + " --corpus " + corpus() + " --pairs 0", "--pairs: must be positive", out);
}

}  // namespace
