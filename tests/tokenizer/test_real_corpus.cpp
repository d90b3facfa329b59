// The tokenizer on real MIDI files (data/debian, fetched by
// datasets/debian/fetch.sh; skipped when absent). The Python references run at
// test time (their outputs are derived from the songs, so not committed):
//   - remi_reference.py extracts notes with mido and encodes them; the C++
//     encoder must give the same ids from the same notes, and from the notes
//     acc::midi reads wherever both readers agree on the notes;
//   - bpe_reference.py trains and encodes a subset of 96-beat windows.
// Also round trips on every part and BPE (500 ids) on all windows.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <tuple>

#include "accompanist/midi/reader.h"
#include "accompanist/tokenizer/bpe.h"
#include "accompanist/tokenizer/grammar.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/statistics.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace acc::tokenizer {
namespace {

namespace fs = std::filesystem;
using testing::ids_from_json;
using testing::notes_from_json;

const fs::path kData = fs::path(ACC_SOURCE_DIR) / "data" / "debian";
const fs::path kWork = fs::path(ACC_BINARY_DIR) / "test-tmp" / "tokenizer_real";

void run_python(const std::string& args) {
  const std::string cmd = std::string(ACC_REFERENCE_PYTHON) + " " + args;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// remi_reference.py over data/debian, cached in the build tree until the
// script or the data change (each test runs in its own process under ctest).
const nlohmann::json& reference() {
  static nlohmann::json cached;
  if (!cached.is_null()) return cached;
  fs::create_directories(kWork);
  const fs::path out = kWork / "remi_debian.json";
  const fs::path script = fs::path(ACC_SOURCE_DIR) / "tests/reference/remi_reference.py";
  // ctest runs these tests as parallel processes: one runs the script, the others wait for it.
  const int lock = ::open((kWork / "lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  const bool fresh = fs::exists(out) && fs::last_write_time(out) > fs::last_write_time(script) &&
                     fs::last_write_time(out) > fs::last_write_time(kData / "SHA256SUMS");
  if (!fresh) {
    const fs::path tmp = kWork / ("remi_debian.json.tmp-" + std::to_string(::getpid()));
    run_python(script.string() + " midi " + tmp.string() + " " + kData.string());
    fs::rename(tmp, out);
  }
  if (lock >= 0) ::close(lock);  // releases the lock
  cached = testing::load_json(out.string());
  return cached;
}

struct RefPart {
  std::string path;
  int tpq;
  int track, channel, program;
  std::vector<midi::Note> notes;
  TokenSeq ids;
};

std::vector<RefPart> reference_parts() {
  std::vector<RefPart> parts;
  for (const auto& f : reference()["files"]) {
    if (f.contains("error")) continue;
    for (const auto& p : f["parts"]) {
      parts.push_back({f["path"].get<std::string>(), f["tpq"].get<int>(), p["track"].get<int>(),
                       p["channel"].get<int>(), p["program"].get<int>(), notes_from_json(p["notes"]),
                       ids_from_json(p["ids"])});
    }
  }
  return parts;
}

// 96-beat windows as the corpus cuts them (SPEC section 3): a note belongs to
// the window of its onset, its end is clipped to the window end, times are
// relative to the window start.
std::vector<std::vector<midi::Note>> windows(const std::vector<midi::Note>& notes, int tpq) {
  const int64_t span = int64_t(96) * tpq;
  std::map<int64_t, std::vector<midi::Note>> by_window;
  for (const midi::Note& n : notes) {
    const int64_t w = n.start / span;
    by_window[w].push_back({n.pitch, n.velocity, n.start - w * span, std::min(n.end, (w + 1) * span) - w * span});
  }
  std::vector<std::vector<midi::Note>> out;
  for (auto& [w, ns] : by_window) out.push_back(std::move(ns));
  return out;
}

class RealCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kData / ".complete")) GTEST_SKIP() << "no " << kData << " (run datasets/debian/fetch.sh)";
  }
};

TEST_F(RealCorpus, EncoderMatchesReferenceOnPythonNotes) {
  const auto parts = reference_parts();
  size_t tokens = 0;
  for (const RefPart& p : parts) {
    ASSERT_EQ(encode_remi(p.notes, p.tpq), p.ids) << p.path << " part " << p.track << "/" << p.channel;
    tokens += p.ids.size();
  }
  EXPECT_GT(parts.size(), 400u);
  std::cout << "[ figures ] " << parts.size() << " parts, " << tokens << " REMI tokens equal to the reference\n";
}

TEST_F(RealCorpus, ReaderAndEncoderMatchReferenceWhereNotesAgree) {
  size_t agree = 0, differ = 0, missing = 0, tokens = 0;
  std::string first_difference;
  for (const auto& f : reference()["files"]) {
    if (f.contains("error")) continue;
    const std::string path = f["path"].get<std::string>();
    const midi::Song song = midi::read_midi_file(path);
    ASSERT_EQ(song.ticks_per_quarter, f["tpq"].get<int>()) << path;
    std::map<std::tuple<int, int, int>, const midi::Part*> ours;
    for (const midi::Part& p : song.parts) ours[{p.track, p.channel, p.program}] = &p;
    for (const auto& p : f["parts"]) {
      auto it = ours.find({p["track"].get<int>(), p["channel"].get<int>(), p["program"].get<int>()});
      if (it == ours.end()) {
        ++missing;
        continue;
      }
      if (it->second->notes != notes_from_json(p["notes"])) {
        if (first_difference.empty()) first_difference = path + " track " + p["track"].dump();
        ++differ;
        continue;
      }
      ++agree;
      const TokenSeq ids = encode_remi(it->second->notes, song.ticks_per_quarter);
      ASSERT_EQ(ids, ids_from_json(p["ids"])) << path;
      tokens += ids.size();
    }
  }
  std::cout << "[ figures ] acc::midi and mido agree on " << agree << " parts (" << tokens
            << " tokens, all equal), differ on " << differ << ", " << missing << " parts only in mido"
            << (first_difference.empty() ? "" : "; first: ") << first_difference << "\n";
  EXPECT_GT(agree, 400u);
  EXPECT_GE(agree, 9 * (agree + differ + missing) / 10);
}

TEST_F(RealCorpus, RoundTripsAndGrammar) {
  Grammar grammar{Bpe()};
  for (const RefPart& p : reference_parts()) {
    ASSERT_EQ(p.tpq % kStepsPerBeat, 0) << p.path;  // all Debian files; exact rescaling below
    DecodeResult r = decode_remi(p.ids);
    auto expected = quantize_notes(p.notes, p.tpq);
    for (midi::Note& n : expected) {
      n.start = n.start * kDecodeTicksPerQuarter / p.tpq;
      n.end = n.end * kDecodeTicksPerQuarter / p.tpq;
    }
    ASSERT_EQ(r.notes, expected) << p.path;
    ASSERT_EQ(r.errors, 0) << p.path;
    if (!p.ids.empty()) {
      ASSERT_TRUE(grammar.may_end(grammar.run(p.ids))) << p.path;
    }
  }
}

// BPE with 500 ids trained on the windows of the parts whose program passes
// keep; returns base tokens per BPE token after checking the round trips.
double bpe_compression(const std::function<bool(const RefPart&)>& keep, const std::string& label) {
  std::vector<TokenSeq> seqs;
  for (const RefPart& p : reference_parts()) {
    if (p.channel == 9 || !keep(p)) continue;  // drums are never piano or bass
    for (const auto& w : windows(p.notes, p.tpq)) {
      TokenSeq ids = encode_remi(w, p.tpq);
      if (!ids.empty()) seqs.push_back(std::move(ids));
    }
  }
  BpeTrainOptions options;
  options.vocab_size = 500;
  const Tokenizer tok = Tokenizer::train(seqs, options);
  EXPECT_EQ(tok.vocab_size(), 500u);
  TokenStatistics stats(tok.bpe());
  Grammar grammar(tok.bpe());
  for (const TokenSeq& s : seqs) {
    const TokenSeq e = tok.apply_bpe(s);
    EXPECT_EQ(tok.decode_bpe(e), s);
    EXPECT_TRUE(grammar.may_end(grammar.run(e)));
    stats.add_bpe_sequence(e);
  }
  // Whole parts, encoded with the window tokenizer, round-trip too.
  for (const RefPart& p : reference_parts()) EXPECT_EQ(tok.decode_bpe(tok.apply_bpe(p.ids)), p.ids);
  std::cout << "[ figures ] BPE 500 on " << seqs.size() << " " << label << " windows: " << stats.base_tokens() << " -> "
            << stats.bpe_tokens() << " tokens, ratio " << stats.compression() << ", " << stats.bpe_ids_used()
            << " BPE ids used\n";
  return stats.compression();
}

TEST_F(RealCorpus, BpeRoughlyHalvesTheTokensAndRoundTrips) {
  // The thesis reports about half the tokens for its bass data; the mixed
  // Debian parts (many velocities, dense piano) compress a little less.
  EXPECT_GT(bpe_compression([](const RefPart&) { return true; }, "all non-drum"), 1.5);
  EXPECT_GT(bpe_compression([](const RefPart& p) { return p.program >= 32 && p.program <= 39; }, "bass"), 1.7);
  EXPECT_GT(bpe_compression([](const RefPart& p) { return p.program <= 7; }, "piano"), 1.5);
}

TEST_F(RealCorpus, BpeMatchesPythonReferenceOnASubset) {
  // The Python reference recounts every pair at each merge: keep it to ~25k tokens.
  std::vector<TokenSeq> train, extra;
  size_t tokens = 0;
  for (const RefPart& p : reference_parts()) {
    if (p.channel == 9) continue;
    for (const auto& w : windows(p.notes, p.tpq)) {
      TokenSeq ids = encode_remi(w, p.tpq);
      if (ids.empty() || ids.size() > 1500) continue;
      if (tokens < 25000) {
        tokens += ids.size();
        train.push_back(std::move(ids));
      } else if (extra.size() < 8) {
        extra.push_back(std::move(ids));
      }
    }
  }
  nlohmann::json in;
  in["vocab_size"] = 400;
  in["sequences"] = train;
  auto all = train;
  all.insert(all.end(), extra.begin(), extra.end());
  in["encode"] = all;
  fs::create_directories(kWork);
  std::ofstream(kWork / "bpe_in.json") << in.dump();
  run_python((fs::path(ACC_SOURCE_DIR) / "tests/reference/bpe_reference.py").string() + " train " +
             (kWork / "bpe_in.json").string() + " " + (kWork / "bpe_out.json").string());
  const nlohmann::json out = testing::load_json((kWork / "bpe_out.json").string());
  BpeTrainOptions options;
  options.vocab_size = 400;
  const std::vector<Merge> merges = train_bpe(train, options);
  ASSERT_EQ(merges.size(), out["merges"].size());
  for (size_t i = 0; i < merges.size(); ++i) {
    ASSERT_EQ(merges[i].first, out["merges"][i][0].get<TokenId>()) << "merge " << i;
    ASSERT_EQ(merges[i].second, out["merges"][i][1].get<TokenId>()) << "merge " << i;
  }
  Bpe bpe(merges);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(bpe.encode(all[i]), out["encoded"][i].get<TokenSeq>()) << i;
  std::cout << "[ figures ] " << merges.size() << " merges and " << all.size()
            << " encodings equal to the Python reference (" << tokens << " training tokens)\n";
}

}  // namespace
}  // namespace acc::tokenizer
