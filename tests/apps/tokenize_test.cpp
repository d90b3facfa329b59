// `accompanist tokenize`: the JSON of SPEC section 9 (plain REMI, or BPE with
// --tokenizer), and for bad input exit 1 with one `error: ` line and nothing
// on stdout.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/cli_runner.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using acc::midi::Note;
using acc::tokenizer::TokenSeq;

const std::string kBinary = ACC_BINARY_DIR "/bin/accompanist";

using acc::testing::RunResult;
using acc::testing::slurp;

fs::path work_dir() {
  return acc::testing::scratch_dir("tokenize_test");
}

RunResult run(const std::vector<std::string>& args) {
  return acc::testing::run_binary(kBinary, args, work_dir());
}

std::string write_text(const std::string& name, const std::string& text) {
  const fs::path p = work_dir() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  return p.string();
}

// A song with a bass part and a piano part at tpq.
acc::midi::Song two_parts(int tpq) {
  acc::midi::Song song;
  song.ticks_per_quarter = tpq;
  acc::midi::Part bass;
  bass.channel = 1;
  bass.program = 33;
  for (int i = 0; i < 24; ++i) bass.notes.push_back({36 + (i % 5), 90, int64_t(i) * tpq, int64_t(i) * tpq + tpq / 2});
  acc::midi::Part piano;
  piano.channel = 0;
  piano.program = 0;
  for (int i = 0; i < 12; ++i) {
    for (int p : {60, 64, 67}) piano.notes.push_back({p + i % 3, 70, int64_t(i) * 2 * tpq, int64_t(i + 1) * 2 * tpq});
  }
  song.parts = {bass, piano};
  return song;
}

void expect_single_error_line(const RunResult& r, const std::string& expected) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
}

TEST(TokenizeCli, PlainRemiOfEveryPart) {
  const std::string path = (work_dir() / "two_parts.mid").string();
  acc::midi::write_midi_file(two_parts(480), path);
  const RunResult r = run({"tokenize", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  ASSERT_EQ(j["parts"].size(), 2u);
  // Parts as the reader orders them, ids as the library encodes them.
  const acc::midi::Song song = acc::midi::read_midi_file(path);
  for (size_t i = 0; i < 2; ++i) {
    const auto& p = j["parts"][i];
    EXPECT_EQ(p.size(), 4u);
    EXPECT_EQ(p["track"], song.parts[i].track);
    EXPECT_EQ(p["channel"], song.parts[i].channel);
    EXPECT_EQ(p["program"], song.parts[i].program);
    EXPECT_EQ(p["tokens"].get<TokenSeq>(), acc::tokenizer::encode_remi(song.parts[i].notes, 480));
  }
  // Written out by hand: the piano part's first bar is Bar, Position_0, three
  // Pitch/Velocity_63/Duration_2.0.8 groups, Position_16, three more.
  const auto& piano = j["parts"][0]["channel"] == 0 ? j["parts"][0] : j["parts"][1];
  const TokenSeq head = {4, 165, 44, 96, 116, 48, 96, 116, 51, 96, 116, 181, 45, 96, 116, 49, 96, 116, 52, 96, 116, 4};
  const TokenSeq tokens = piano["tokens"].get<TokenSeq>();
  ASSERT_GE(tokens.size(), head.size());
  EXPECT_EQ(TokenSeq(tokens.begin(), tokens.begin() + long(head.size())), head);
}

TEST(TokenizeCli, BpeWithATokenizer) {
  const std::string path = (work_dir() / "two_parts_bpe.mid").string();
  acc::midi::write_midi_file(two_parts(96), path);
  const acc::midi::Song song = acc::midi::read_midi_file(path);
  std::vector<TokenSeq> base;
  for (const auto& part : song.parts) base.push_back(acc::tokenizer::encode_remi(part.notes, 96));
  acc::tokenizer::BpeTrainOptions options;
  options.vocab_size = 230;
  const auto tok = acc::tokenizer::Tokenizer::train(base, options);
  const std::string tok_path = (work_dir() / "tokenizer.json").string();
  tok.save(tok_path);
  const RunResult r = run({"tokenize", path, "--tokenizer", tok_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["parts"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const TokenSeq ids = j["parts"][i]["tokens"].get<TokenSeq>();
    EXPECT_EQ(ids, tok.apply_bpe(base[i]));
    EXPECT_LT(ids.size(), base[i].size());
    EXPECT_EQ(tok.decode_bpe(ids), base[i]);
  }
}

TEST(TokenizeCli, BadInputGivesOneErrorLine) {
  const std::string midi = (work_dir() / "ok.mid").string();
  acc::midi::write_midi_file(two_parts(96), midi);
  const std::string low = (work_dir() / "tpq24.mid").string();
  acc::midi::write_midi_file(two_parts(24), low);

  expect_single_error_line(run({"tokenize", low}), "ticks per quarter 24 is below 32");
  expect_single_error_line(run({"tokenize", (work_dir() / "missing.mid").string()}), "missing.mid");
  expect_single_error_line(run({"tokenize", write_text("garbage.mid", "this is not MIDI")}), "garbage.mid");

  const std::string head = R"({"format": "accompanist-tokenizer", "version": 1, "base": "remi-miditok-2.1", )";
  expect_single_error_line(run({"tokenize", midi, "--tokenizer", write_text("corrupt.json", head)}), "invalid JSON");
  expect_single_error_line(
      run({"tokenize", midi, "--tokenizer",
           write_text("v2.json", R"({"format": "accompanist-tokenizer", "version": 2, "base": "remi-miditok-2.1",
                                     "vocab_size": 197, "merges": []})")}),
      "unsupported tokenizer version 2");
  expect_single_error_line(
      run({"tokenize", midi, "--tokenizer",
           write_text("unknown_id.json", head + R"("vocab_size": 199, "merges": [[4, 4], [198, 5]]})")}),
      "refers to id 198, which is not defined before it");
  expect_single_error_line(run({"tokenize", midi, "--tokenizer",
                                write_text("size.json", head + R"("vocab_size": 500, "merges": [[4, 4]]})")}),
                           "does not match the 1 merges");
  expect_single_error_line(run({"tokenize", midi, "--tokenizer", (work_dir() / "none.json").string()}), "none.json");

  const RunResult no_file = run({"tokenize"});
  EXPECT_NE(no_file.exit_code, 0);
  EXPECT_EQ(no_file.out, "");
}

}  // namespace
