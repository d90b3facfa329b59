// report.html end to end: a small corpus, samples whose A/B mixes are rendered
// with fluidsynth (sine tones where it is missing), `accompanist evaluate`,
// then tests/browser/check_page.py loads the page in headless Chromium. Skips
// itself where Chromium is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "accompanist/audio/render.h"
#include "accompanist/audio/wav.h"
#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "common/scratch_dir.h"
#include "common/subprocess.h"

namespace {

namespace fs = std::filesystem;
using acc::midi::Note;
using acc::tokenizer::TokenSeq;
constexpr int kTpq = 384;

// Four bars of a triad: piano chords on beats 1 and 3, a bass on every beat.
std::vector<Note> part(int root, bool minor, bool piano) {
  const int third = root + (minor ? 3 : 4), fifth = root + 7;
  std::vector<Note> notes;
  for (int b = 0; b < 4; ++b) {
    const int64_t t = int64_t(b) * 4 * kTpq;
    if (piano) {
      for (int beat : {0, 2})
        for (int p : {root + 24, third + 24, fifth + 24})
          notes.push_back({p, 80, t + beat * kTpq, t + (beat + 2) * kTpq});
    } else {
      int beat = 0;
      for (int p : {root, fifth, root + 12, third}) notes.push_back({p, 90, t + kTpq * beat++, t + kTpq * beat});
    }
  }
  return notes;
}

acc::midi::Song mix(const std::vector<Note>& piano, const std::vector<Note>& bass) {
  acc::midi::Song song;
  song.ticks_per_quarter = kTpq;
  acc::midi::Part a, b;
  a.notes = piano;
  b.channel = 1;
  b.program = 33;
  b.notes = bass;
  song.parts = {a, b};
  return song;
}

void write_mix(const acc::midi::Song& song, const fs::path& wav) {
  if (acc::audio::renderer_unavailable({}).empty()) {
    acc::audio::render_song(song, wav.string(), {});
    return;
  }
  acc::audio::Wav w;  // no fluidsynth: a second of a tone stands in
  w.sample_rate = 22050;
  w.channels = 1;
  for (int i = 0; i < 22050; ++i) w.samples.push_back(float(0.5 * std::sin(0.05 * i)));
  acc::audio::write_wav_pcm16(w, wav.string());
}

TEST(ReportPage, LoadsInChromium) {
  const auto which = acc::testing::run_command("command -v chromium || command -v chromium-browser", 30);
  if (which.exit_code != 0) GTEST_SKIP() << "browser test skipped: chromium is not installed (Debian package chromium)";
  const acc::testing::ScratchDir scratch("report_page_test");
  const fs::path dir = scratch.path();
  fs::create_directories(dir / "samples");

  const std::vector<std::pair<int, bool>> keys = {{36, false}, {45, true}, {43, false}, {41, false}};
  std::vector<std::vector<Note>> pianos, basses;
  std::vector<TokenSeq> base;
  for (const auto& [root, minor] : keys) {
    pianos.push_back(part(root, minor, true));
    basses.push_back(part(root, minor, false));
    base.push_back(acc::tokenizer::encode_remi(pianos.back(), kTpq));
    base.push_back(acc::tokenizer::encode_remi(basses.back(), kTpq));
  }
  acc::tokenizer::BpeTrainOptions bpe;
  bpe.vocab_size = 220;
  const auto tok = acc::tokenizer::Tokenizer::train(base, bpe);
  const std::string corpus = (dir / "corpus.h5").string();
  {
    acc::data::CorpusWriter writer(corpus, {tok.to_json(), "piano->bass", "{}"});
    writer.set_songs({"a.mid"});
    for (size_t i = 0; i < keys.size(); ++i) {
      const auto s = tok.apply_bpe(base[2 * i]), t = tok.apply_bpe(base[2 * i + 1]);
      writer.add(i == 0 ? "train" : "valid", std::vector<int>(s.begin(), s.end()), std::vector<int>(t.begin(), t.end()),
                 0, uint32_t(i));
    }
    writer.commit();
  }
  // Samples of the valid split: generated = the next pair's bass (wrong chords), with the A/B mixes.
  std::ofstream lines(dir / "samples" / "samples.jsonl");
  for (size_t i = 0; i < 3; ++i) {
    const size_t pair = i + 1, other = (i + 1) % 3 + 1;
    lines << nlohmann::json({{"index", i},
                             {"source", tok.apply_bpe(base[2 * pair])},
                             {"reference", tok.apply_bpe(base[2 * pair + 1])},
                             {"generated", tok.apply_bpe(base[2 * other + 1])}})
                 .dump()
          << "\n";
    char name[16];
    std::snprintf(name, sizeof name, "%04zu", i);
    write_mix(mix(pianos[pair], basses[other]), dir / "samples" / (std::string(name) + ".generated.wav"));
    write_mix(mix(pianos[pair], basses[pair]), dir / "samples" / (std::string(name) + ".reference.wav"));
  }
  lines.close();

  const fs::path out = dir / "report";
  const auto eval = acc::testing::run_command(std::string(ACC_BINARY_DIR) + "/bin/accompanist evaluate --samples " +
                                                  (dir / "samples").string() + " --corpus " + corpus + " --out " +
                                                  out.string() + " --pairs 10000 --shuffles 5",
                                              180);
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("report page: " + (out / "report.html").string()), std::string::npos) << eval.output;
  ASSERT_TRUE(fs::exists(out / "report.html"));
  const bool plots = eval.output.find("plots skipped") == std::string::npos;

  const std::string check = std::string(ACC_REFERENCE_PYTHON) + " " + ACC_SOURCE_DIR + "/tests/browser/check_page.py ";
  const auto good =
      acc::testing::run_command(check + (out / "report.html").string() + " " + (dir / "shot.png").string() +
                                    " --min-audio 6 --min-images " + (plots ? "5" : "0"),
                                240);
  if (good.exit_code == 77) GTEST_SKIP() << good.output;
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("6 audio players loaded"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("3 SVG piano rolls"), std::string::npos) << good.output;

  // The check can fail: a missing mix is found by the static check and in the browser.
  fs::remove(dir / "samples" / "0001.reference.wav");
  const auto bad =
      acc::testing::run_command(check + (out / "report.html").string() + " " + (dir / "shot2.png").string(), 240);
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("audio link does not resolve: ../samples/0001.reference.wav"), std::string::npos)
      << bad.output;
  EXPECT_NE(bad.output.find("in the browser"), std::string::npos) << bad.output;
}

}  // namespace
