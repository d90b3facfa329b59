// The tokenizer JSON (SPEC section 9): canonical bytes, sha256, atomic save,
// and clear errors for bad files.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/sha256.h"

namespace acc::tokenizer {
namespace {

namespace fs = std::filesystem;

class TokenizerFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(ACC_BINARY_DIR) / "test-tmp" / ("tokenizer_file_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // The message of the acc::Error that loading path throws ("" if none).
  static std::string load_error(const std::string& path) {
    try {
      Tokenizer::load(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

constexpr const char* kCanonical =
    "{\"format\":\"accompanist-tokenizer\",\"version\":1,\"base\":\"remi-miditok-2.1\",\"vocab_size\":199,"
    "\"merges\":[[4,4],[197,4]]}\n";

TEST_F(TokenizerFile, SavesCanonicalBytesAndLoadsThem) {
  Tokenizer t(Bpe({{4, 4}, {197, 4}}));
  EXPECT_EQ(t.to_json(), kCanonical);
  const std::string path = (dir_ / "tok.json").string();
  t.save(path);
  EXPECT_EQ(util::read_file_text(path), kCanonical);
  EXPECT_EQ(t.sha256(), util::sha256_hex(kCanonical));
  Tokenizer u = Tokenizer::load(path);
  EXPECT_EQ(u.bpe().merges(), t.bpe().merges());
  EXPECT_EQ(u.vocab_size(), 199u);
  EXPECT_EQ(u.sha256(), t.sha256());
  // No temporary files are left next to it.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST_F(TokenizerFile, HashIsOfTheCanonicalFormWhateverTheLayout) {
  const std::string pretty = write("pretty.json", R"({
    "merges": [[4, 4], [197, 4]],
    "vocab_size": 199, "base": "remi-miditok-2.1",
    "version": 1, "format": "accompanist-tokenizer"
  })");
  EXPECT_EQ(Tokenizer::load(pretty).sha256(), util::sha256_hex(kCanonical));
  EXPECT_NE(Tokenizer(Bpe({{4, 4}})).sha256(), util::sha256_hex(kCanonical));
  EXPECT_EQ(Tokenizer().to_json(),
            "{\"format\":\"accompanist-tokenizer\",\"version\":1,\"base\":\"remi-miditok-2.1\",\"vocab_size\":197,"
            "\"merges\":[]}\n");
}

TEST_F(TokenizerFile, BadFilesGiveClearErrors) {
  const std::string ok_head = R"({"format": "accompanist-tokenizer", "version": 1, "base": "remi-miditok-2.1", )";
  struct Case {
    const char* name;
    std::string text;
    const char* expected;  // part of the message
  } cases[] = {
      {"empty", "", "invalid JSON"},
      {"truncated", std::string(kCanonical).substr(0, 60), "invalid JSON"},
      {"binary", std::string("\x00\xff\x13garbage", 10), "invalid JSON"},
      {"array", "[1, 2]", "not an object"},
      {"wrong format", R"({"format": "miditok", "version": 1, "base": "remi-miditok-2.1", "vocab_size": 197,
                          "merges": []})",
       "expected \"accompanist-tokenizer\""},
      {"version 2", R"({"format": "accompanist-tokenizer", "version": 2, "base": "remi-miditok-2.1",
                        "vocab_size": 197, "merges": []})",
       "unsupported tokenizer version 2"},
      {"version string", R"({"format": "accompanist-tokenizer", "version": "1", "base": "remi-miditok-2.1",
                             "vocab_size": 197, "merges": []})",
       "\"version\" must be an integer"},
      {"wrong base", R"({"format": "accompanist-tokenizer", "version": 1, "base": "tsd", "vocab_size": 197,
                         "merges": []})",
       "expected \"remi-miditok-2.1\""},
      {"size mismatch", ok_head + R"("vocab_size": 500, "merges": [[4, 4]]})", "does not match the 1 merges"},
      {"size float", ok_head + R"("vocab_size": 198.0, "merges": [[4, 4]]})", "\"vocab_size\" must be an integer"},
      {"unknown id", ok_head + R"("vocab_size": 199, "merges": [[4, 4], [5, 300]]})",
       "merge 1: (5, 300) refers to id 300, which is not defined before it"},
      {"future id", ok_head + R"("vocab_size": 199, "merges": [[4, 198], [5, 6]]})",
       "refers to id 198, which is not defined before it"},
      {"self", ok_head + R"("vocab_size": 198, "merges": [[197, 4]]})", "refers to id 197"},
      {"negative id", ok_head + R"("vocab_size": 198, "merges": [[-5, 4]]})", "refers to id -5"},
      {"huge id", ok_head + R"("vocab_size": 198, "merges": [[99999999999, 4]]})", "out of range"},
      {"special", ok_head + R"("vocab_size": 198, "merges": [[2, 4]]})", "special token"},
      {"repeated", ok_head + R"("vocab_size": 199, "merges": [[4, 4], [4, 4]]})", "repeats merge 0"},
      {"triple", ok_head + R"("vocab_size": 198, "merges": [[4, 4, 4]]})", "not a pair of integer ids"},
      {"not a list", ok_head + R"("vocab_size": 198, "merges": {"a": 1}})", "must be a list"},
      {"missing", R"({"format": "accompanist-tokenizer", "version": 1, "base": "remi-miditok-2.1", "merges": []})",
       "missing key \"vocab_size\""},
      {"unknown key", ok_head + R"("vocab_size": 197, "merges": [], "dropout": 0.1})", "unknown key \"dropout\""},
  };
  for (const Case& c : cases) {
    const std::string path = write(std::string(c.name) + ".json", c.text);
    const std::string message = load_error(path);
    EXPECT_NE(message.find(path + ": "), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.name << ": " << message;
  }
  EXPECT_NE(load_error((dir_ / "missing.json").string()), "");
  EXPECT_NE(load_error(dir_.string()), "");  // a directory
}

// Musical time: Bar tokens in each id's expansion, BPE ids included.
TEST(TokenizerBars, BarCountsFollowTheExpansions) {
  const TokenId bar_pos = kBaseVocabSize, bar_bar = kBaseVocabSize + 1, dur_bar = kBaseVocabSize + 2;
  const Tokenizer tok(
      Bpe({{kBar, Vocabulary::position_id(0)}, {kBar, kBar}, {Vocabulary::duration_id(3), kBar}, {bar_bar, bar_pos}}));
  const std::vector<int32_t> counts = tok.bar_counts();
  ASSERT_EQ(counts.size(), tok.vocab_size());
  EXPECT_EQ(counts[size_t(kBar)], 1);
  EXPECT_EQ(counts[size_t(kBos)], 0);
  EXPECT_EQ(counts[size_t(Vocabulary::pitch_id(60))], 0);
  EXPECT_EQ(counts[size_t(bar_pos)], 1);
  EXPECT_EQ(counts[size_t(bar_bar)], 2);
  EXPECT_EQ(counts[size_t(dur_bar)], 1);
  EXPECT_EQ(counts[size_t(kBaseVocabSize + 3)], 3);
  int32_t total = 0;
  for (int32_t c : counts) total += c;
  EXPECT_EQ(total, 1 + 1 + 2 + 1 + 3);
}

}  // namespace
}  // namespace acc::tokenizer
