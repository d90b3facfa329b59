#include "accompanist/eval/samples.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "accompanist/util/error.h"
#include "common/scratch_dir.h"

namespace acc::eval {
namespace {

namespace fs = std::filesystem;

class SamplesTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = acc::testing::scratch_dir("samples_test"); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const acc::Error& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path dir_;
};

TEST_F(SamplesTest, ReadsLinesAndMeta) {
  write("samples.jsonl",
        "{\"index\": 3, \"source\": [4, 165], \"reference\": [4], \"generated\": [1, 4, 2, 0]}\n\n"
        "{\"index\": 0, \"source\": [], \"reference\": [4, 170], \"generated\": [], \"tokenizer_sha256\": \"ab\"}\n");
  write("meta.json", "{\"tokenizer_sha256\": \"ab\", \"other\": 1}");
  const SampleSet set = read_samples(dir_.string());
  ASSERT_EQ(set.samples.size(), 2u);
  EXPECT_EQ(set.samples[0].index, 3);
  EXPECT_EQ(set.samples[0].generated, (tokenizer::TokenSeq{1, 4, 2, 0}));
  EXPECT_EQ(set.samples[1].line, 3);
  EXPECT_EQ(set.samples[1].tokenizer_sha256, "ab");
  EXPECT_EQ(set.tokenizer_sha256, "ab");
  EXPECT_NO_THROW(check_samples(set, 197, "ab"));
  EXPECT_NO_THROW(check_samples(set, 197, ""));  // nothing to compare with
  EXPECT_NE(error_of([&] { check_samples(set, 197, "cd"); }).find("made with tokenizer ab"), std::string::npos);
  EXPECT_NE(error_of([&] { check_samples(set, 170, ""); }).find(":3: \"reference\" holds the token id 170, outside"),
            std::string::npos);
}

TEST_F(SamplesTest, BadInputNamesTheProblem) {
  EXPECT_NE(error_of([&] { read_samples((dir_ / "nope").string()); }).find("no such directory"), std::string::npos);
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("samples.jsonl: missing"), std::string::npos);
  write("samples.jsonl", "\n  \n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("no samples"), std::string::npos);
  write("samples.jsonl", "{\"index\": 0, \"source\": [], \"reference\": [], \"generated\": []}\n{\"index\": 1, \"sou");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("samples.jsonl:2: malformed JSON"), std::string::npos);
  write("samples.jsonl", "[1, 2]\n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find(":1: not a JSON object"), std::string::npos);
  write("samples.jsonl", "{\"index\": 0, \"source\": [], \"reference\": []}\n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("missing \"generated\""), std::string::npos);
  write("samples.jsonl", "{\"index\": 0, \"source\": [], \"reference\": [], \"generated\": [4, \"x\"]}\n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("non-integer token id"), std::string::npos);
  write("samples.jsonl", "{\"index\": 0, \"source\": [], \"reference\": [], \"generated\": [70000]}\n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("outside 0..65535"), std::string::npos);
  write("samples.jsonl", "{\"index\": -1, \"source\": [], \"reference\": [], \"generated\": []}\n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("\"index\""), std::string::npos);
  write("samples.jsonl", "{\"index\": 0, \"source\": [], \"reference\": [], \"generated\": {}}\n");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("not a list"), std::string::npos);
  write("samples.jsonl", "{\"index\": 0, \"source\": [], \"reference\": [], \"generated\": []}\n");
  write("meta.json", "{not json");
  EXPECT_NE(error_of([&] { read_samples(dir_.string()); }).find("meta.json: not a JSON object"), std::string::npos);
}

TEST(StripSpecial, DropsBosPadAndEverythingFromEos) {
  EXPECT_EQ(strip_special({1, 4, 0, 165, 2, 4, 4}), (tokenizer::TokenSeq{4, 165}));
  EXPECT_EQ(strip_special({4, 1, 165}), (tokenizer::TokenSeq{4, 1, 165}));  // a BOS inside stays (a grammar error)
  EXPECT_EQ(strip_special({2, 4}), tokenizer::TokenSeq{});
  EXPECT_EQ(strip_special({}), tokenizer::TokenSeq{});
}

}  // namespace
}  // namespace acc::eval
