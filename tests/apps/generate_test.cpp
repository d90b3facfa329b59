// `accompanist generate` end to end: synthetic songs -> prep -> a tiny
// checkpoint trained here for 20 steps -> generate, the MIDI files read back
// with mido, samples.jsonl accepted by `accompanist evaluate`, --midi on a
// song file, and every kind of bad input (error line, exit 1).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "accompanist/audio/render.h"
#include "accompanist/audio/wav.h"
#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/midi/reader.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "common/scratch_dir.h"
#include "common/subprocess.h"

namespace {

namespace fs = std::filesystem;
using acc::testing::read_text;
using acc::testing::run_command;

const std::string kBin = std::string(ACC_BINARY_DIR) + "/bin/accompanist";

struct CliResult {
  int rc = -1;
  std::string out;  // stdout and stderr together
};

CliResult accompanist(const std::string& args, double timeout = 180) {
  auto r = run_command(kBin + " " + args, timeout);
  return {r.exit_code, r.output};
}

std::vector<nlohmann::json> jsonl(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_text(path.string()));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Each file read with mido: {"file": {"tpq", "type", "tracks": [{"name", "program", "notes"}]}}.
nlohmann::json mido_summary(const std::vector<std::string>& files, const fs::path& work) {
  const fs::path script = work / "mido_summary.py";
  std::ofstream(script) << R"PY(
import json, sys, mido
out = {}
for path in sys.argv[1:]:
    f = mido.MidiFile(path)
    tracks = []
    for t in f.tracks:
        name = next((m.name for m in t if m.type == 'track_name'), '')
        program = next((m.program for m in t if m.type == 'program_change'), None)
        notes = sum(1 for m in t if m.type == 'note_on' and m.velocity > 0)
        end = 0; tick = 0
        for m in t:
            tick += m.time
            if m.type in ('note_on', 'note_off'): end = tick
        tracks.append({'name': name, 'program': program, 'notes': notes, 'last_tick': end})
    out[path] = {'tpq': f.ticks_per_beat, 'type': f.type, 'tracks': tracks}
print(json.dumps(out))
)PY";
  std::string cmd = std::string(ACC_REFERENCE_PYTHON) + " " + script.string();
  for (const auto& f : files) cmd += " " + f;
  auto r = run_command(cmd, 60);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return nlohmann::json::parse(r.output, nullptr, false);
}

class GenerateCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = acc::testing::scratch_dir("generate_test");
    CliResult synth =
        accompanist("synth --songs 16 --out " + (dir_ / "songs").string() + " --seed 4 --threads 1 --no-progress");
    ASSERT_EQ(synth.rc, 0) << synth.out;
    corpus_ = (dir_ / "corpus.h5").string();
    CliResult prep =
        accompanist("prep --config " + std::string(ACC_SOURCE_DIR) + "/configs/prep/default.yaml --input " +
                    (dir_ / "songs").string() + " --output " + corpus_ +
                    " --set bpe.vocab_size=260 --set split.valid=0.3 --set split.test=0.1 --set threads=1"
                    " --no-progress --no-plot");
    ASSERT_EQ(prep.rc, 0) << prep.out;
    const std::string run_dir = (dir_ / "run").string();
    auto train = run_command(std::string(ACC_BINARY_DIR) + "/bin/accompanist-train --config " + ACC_SOURCE_DIR +
                                 "/configs/train/tiny.yaml --run-dir " + run_dir + " --set data.corpus=" + corpus_ +
                                 " --set train.max_steps=20",
                             240);
    ASSERT_EQ(train.exit_code, 0) << train.output;
    for (const auto& e : fs::directory_iterator(run_dir + "/checkpoints"))
      if (e.path().filename().string().rfind("step-", 0) == 0 && e.path().string() > checkpoint_)
        checkpoint_ = e.path().string();
    ASSERT_FALSE(checkpoint_.empty());
  }

  static std::string base_args(const std::string& out) {
    return "generate --checkpoint " + checkpoint_ + " --corpus " + corpus_ + " --out " + out +
           " --max-tokens 48 --threads 1 --no-progress";
  }
  void SetUp() override { ASSERT_FALSE(checkpoint_.empty()) << "suite setup failed"; }

  static fs::path dir_;
  static std::string corpus_, checkpoint_;
};
fs::path GenerateCommand::dir_;
std::string GenerateCommand::corpus_, GenerateCommand::checkpoint_;

TEST_F(GenerateCommand, FiveSamplesReadByMidoAndEvaluate) {
  const fs::path out = dir_ / "gen5";
  CliResult r = accompanist(base_args(out.string()) + " --split valid --count 5 --top-k 3 --temperature 1 --seed 7");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("generate: 5 samples"), std::string::npos) << r.out;

  const auto lines = jsonl(out / "samples.jsonl");
  ASSERT_EQ(lines.size(), 5u);
  const auto corpus = acc::data::Corpus::open(corpus_);
  const auto& split = corpus.split("valid");
  const auto tok = acc::tokenizer::Tokenizer::from_json(corpus.tokenizer_json());
  std::vector<std::string> files;
  std::map<std::string, size_t> generated_notes;
  for (const auto& line : lines) {
    const size_t index = line.at("index").get<size_t>();
    ASSERT_LT(index, split.size());
    EXPECT_EQ(line.at("source").get<std::vector<int>>(), split.source(index).to_ids());
    EXPECT_EQ(line.at("reference").get<std::vector<int>>(), split.target(index).to_ids());
    const auto generated = line.at("generated").get<std::vector<int>>();
    EXPECT_LE(generated.size(), 48u);
    for (int id : generated) {
      EXPECT_GE(id, 4);  // no PAD, BOS, EOS, MASK
      EXPECT_LT(id, int(tok.vocab_size()));
    }
    EXPECT_EQ(line.at("tokenizer_sha256"), corpus.tokenizer_sha256());
    char name[32];
    std::snprintf(name, sizeof name, "%04zu.mid", index);
    files.push_back((out / name).string());
    generated_notes[files.back()] = tok.decode(generated).notes.size();
  }
  const auto meta = nlohmann::json::parse(read_text((out / "meta.json").string()));
  EXPECT_EQ(meta.at("tokenizer_sha256"), corpus.tokenizer_sha256());
  EXPECT_EQ(meta.at("counts").at("samples"), 5);
  EXPECT_EQ(meta.at("sampling").at("top_k"), 3);
  EXPECT_EQ(meta.at("sampling").at("max_tokens"), 48);
  // The defaults: grammar mask on, and one note per onset since the synthetic
  // bass lines (the checkpoint's training targets) play one note at a time.
  EXPECT_EQ(meta.at("sampling").at("grammar_mask"), true);
  EXPECT_EQ(meta.at("sampling").at("max_notes_per_onset"), 1);
  EXPECT_DOUBLE_EQ(meta.at("trained_notes_per_onset").get<double>(), 1.0);
  EXPECT_EQ(meta.at("counts").at("grammar_errors"), 0);

  const auto summary = mido_summary(files, dir_);
  ASSERT_TRUE(summary.is_object());
  for (const auto& f : files) {
    const auto& s = summary.at(f);
    EXPECT_EQ(s.at("tpq"), 384);
    EXPECT_EQ(s.at("type"), 1);
    ASSERT_EQ(s.at("tracks").size(), 4u);  // conductor, source, generated, reference
    EXPECT_EQ(s["tracks"][1]["name"], "source (piano)");
    EXPECT_EQ(s["tracks"][1]["program"], 0);
    EXPECT_EQ(s["tracks"][2]["name"], "generated (bass)");
    EXPECT_EQ(s["tracks"][2]["program"], 32);
    EXPECT_EQ(s["tracks"][3]["name"], "reference (bass)");
    EXPECT_EQ(s["tracks"][2]["notes"].get<size_t>(), generated_notes[f]);
    EXPECT_GT(s["tracks"][1]["notes"].get<int>(), 0);
  }

  CliResult eval = accompanist("evaluate --samples " + out.string() + " --corpus " + corpus_ + " --out " +
                               (dir_ / "report").string() + " --no-plots --pairs 20000 --shuffles 10 --threads 1");
  ASSERT_EQ(eval.rc, 0) << eval.out;
  const auto report = nlohmann::json::parse(read_text((dir_ / "report/report.json").string()));
  EXPECT_EQ(report.at("samples"), 5);

  // The same seed gives the same samples.
  const fs::path again = dir_ / "gen5b";
  ASSERT_EQ(accompanist(base_args(again.string()) + " --split valid --count 5 --top-k 3 --seed 7").rc, 0);
  EXPECT_EQ(read_text((out / "samples.jsonl").string()), read_text((again / "samples.jsonl").string()));
}

TEST_F(GenerateCommand, GrammarMaskPrimeAndIndices) {
  const fs::path out = dir_ / "masked";
  CliResult r =
      accompanist(base_args(out.string()) + " --indices 0,2 --grammar-mask --prime 10 --top-p 0.9 --batch-size 1");
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto meta = nlohmann::json::parse(read_text((out / "meta.json").string()));
  EXPECT_EQ(meta.at("counts").at("grammar_errors"), 0);
  EXPECT_EQ(meta.at("sampling").at("grammar_mask"), true);  // --grammar-mask: the default, accepted
  EXPECT_EQ(meta.at("indices"), nlohmann::json({0, 2}));
  const auto lines = jsonl(out / "samples.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& line : lines) {
    const auto ref = line.at("reference").get<std::vector<int>>();
    const auto gen = line.at("generated").get<std::vector<int>>();
    ASSERT_GE(gen.size(), 10u);
    EXPECT_EQ(std::vector<int>(gen.begin(), gen.begin() + 10), std::vector<int>(ref.begin(), ref.begin() + 10));
  }
  EXPECT_TRUE(fs::exists(out / "0000.mid"));
  EXPECT_TRUE(fs::exists(out / "0002.mid"));
}

// The thesis setting: no mask, hence no notes-per-onset limit either.
TEST_F(GenerateCommand, NoGrammarMaskAndMaxNotesPerOnset) {
  const fs::path out = dir_ / "unmasked";
  CliResult r = accompanist(base_args(out.string()) + " --indices 0,1 --no-grammar-mask");
  ASSERT_EQ(r.rc, 0) << r.out;
  auto meta = nlohmann::json::parse(read_text((out / "meta.json").string()));
  EXPECT_EQ(meta.at("sampling").at("grammar_mask"), false);
  EXPECT_EQ(meta.at("sampling").at("max_notes_per_onset"), 0);
  r = accompanist(base_args(out.string()) + " --indices 0,1 --max-notes-per-onset 0");
  ASSERT_EQ(r.rc, 0) << r.out;
  meta = nlohmann::json::parse(read_text((out / "meta.json").string()));
  EXPECT_EQ(meta.at("sampling").at("grammar_mask"), true);
  EXPECT_EQ(meta.at("sampling").at("max_notes_per_onset"), 0);
}

TEST_F(GenerateCommand, MidiFileInWindows) {
  std::string song;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "songs"))
    if (e.path().extension() == ".mid") {
      song = e.path().string();
      break;
    }
  ASSERT_FALSE(song.empty());
  const fs::path out = dir_ / "frommidi";
  // No --direction: the checkpoint knows it was trained for piano->bass.
  CliResult r = accompanist("generate --checkpoint " + checkpoint_ + " --midi " + song + " --out " + out.string() +
                            " --max-tokens 32 --greedy --threads 1 --no-progress");
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto meta = nlohmann::json::parse(read_text((out / "meta.json").string()));
  EXPECT_EQ(meta.at("direction"), "piano->bass");
  EXPECT_EQ(meta.at("sampling").at("grammar_mask"), true);
  EXPECT_EQ(meta.at("sampling").at("max_notes_per_onset"), 1);
  const auto windows = meta.at("windows").get<size_t>();
  EXPECT_GE(windows, 1u);
  EXPECT_EQ(jsonl(out / "samples.jsonl").size(), meta.at("counts").at("samples").get<size_t>());
  const std::string file = (out / "0000.mid").string();
  const auto summary = mido_summary({file}, dir_);
  ASSERT_TRUE(summary.is_object());
  const auto& s = summary.at(file);
  ASSERT_EQ(s.at("tracks").size(), 3u);  // conductor, source, generated: no reference
  EXPECT_EQ(s["tracks"][1]["name"], "source (piano)");
  EXPECT_EQ(s["tracks"][2]["name"], "generated (bass)");
  // Generated notes stay inside the song's windows (96 beats of 384 ticks each).
  EXPECT_LE(s["tracks"][2]["last_tick"].get<int64_t>(), int64_t(windows) * 96 * 384);
  // With --corpus the direction comes from it.
  CliResult r2 = accompanist("generate --checkpoint " + checkpoint_ + " --corpus " + corpus_ + " --midi " + song +
                             " --part 99:0 --out " + (dir_ / "frommidi2").string() + " --no-progress");
  EXPECT_EQ(r2.rc, 1);
  EXPECT_NE(r2.out.find("error: " + song + ": no part 99:0"), std::string::npos) << r2.out;
}

TEST_F(GenerateCommand, RenderWithoutFluidsynthWarns) {
  const fs::path out = dir_ / "render_missing";
  CliResult r = accompanist(base_args(out.string()) + " --indices 1 --render wav --fluidsynth /nonexistent/fluidsynth");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("--render wav skipped: /nonexistent/fluidsynth is not installed"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out / "0001.mid"));
  EXPECT_FALSE(fs::exists(out / "0001.generated.wav"));
  EXPECT_TRUE(fs::exists(out / "meta.json"));
}

// The A/B mixes: source + generated and source + reference, 44100 Hz, as long
// as their MIDI (plus the release tail), sounding, normalised, different.
TEST_F(GenerateCommand, RenderWavMixes) {
  const std::string unavailable = acc::audio::renderer_unavailable({});
  if (!unavailable.empty()) GTEST_SKIP() << "render skipped: " << unavailable;
  const fs::path out = dir_ / "render";
  CliResult r = accompanist(base_args(out.string()) + " --indices 1,2 --render wav");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("4 WAV files"), std::string::npos) << r.out;
  for (const char* index : {"0001", "0002"}) {
    const acc::midi::Song song = acc::midi::read_midi_file((out / (std::string(index) + ".mid")).string());
    ASSERT_EQ(song.parts.size(), 3u);
    const acc::audio::Wav generated = acc::audio::read_wav((out / (std::string(index) + ".generated.wav")).string());
    const acc::audio::Wav reference = acc::audio::read_wav((out / (std::string(index) + ".reference.wav")).string());
    EXPECT_EQ(generated.sample_rate, 44100);
    acc::midi::Song source_reference = song;
    source_reference.parts = {song.parts[0], song.parts[2]};
    const double seconds = acc::audio::song_seconds(source_reference);
    EXPECT_GE(reference.seconds(), seconds - 0.1) << index;
    EXPECT_LE(reference.seconds(), seconds + 4.0) << index;
    EXPECT_NEAR(acc::audio::peak(reference), 0.891, 2.0 / 32767);
    EXPECT_GT(acc::audio::rms(reference, 0.0, seconds), 0.01);
    EXPECT_NE(generated.samples, reference.samples);
  }
}

// rc 1 for acc::Error; CLI11's own option checks exit with 2.
void expect_error(const std::string& args, const std::string& needle, int rc = 1) {
  CliResult r = accompanist(args);
  EXPECT_EQ(r.rc, rc) << args << "\n" << r.out;
  EXPECT_NE(r.out.find("error: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(needle), std::string::npos) << "wanted '" << needle << "' in:\n" << r.out;
  EXPECT_EQ(r.out.find("Segmentation"), std::string::npos);
  if (rc == 1) {
    EXPECT_EQ(r.out.find("error: "), r.out.rfind("error: ")) << "one error line wanted:\n" << r.out;
  }
}

TEST_F(GenerateCommand, BadInput) {
  const std::string out = (dir_ / "bad").string();
  // A corpus with another tokenizer.
  const std::string other = (dir_ / "other.h5").string();
  {
    acc::tokenizer::Tokenizer plain;
    acc::data::CorpusWriter w(other, {plain.to_json(), "piano->bass", "window_beats: 96\n"});
    w.add("valid", {4, 170, 40, 97, 110}, {4, 165, 20, 97, 110}, 0, 0);
    w.set_songs({"a.mid"});
    w.commit();
  }
  expect_error("generate --checkpoint " + checkpoint_ + " --corpus " + other + " --out " + out + " --count 1",
               ": checkpoint tokenizer differs from the corpus tokenizer");
  // Missing and incomplete checkpoints.
  expect_error(
      "generate --checkpoint " + (dir_ / "nowhere").string() + " --corpus " + corpus_ + " --out " + out + " --count 1",
      "checkpoint directory does not exist");
  const fs::path partial = dir_ / "partial";
  fs::copy(checkpoint_, partial, fs::copy_options::recursive);
  fs::remove(partial / "COMPLETE");
  expect_error("generate --checkpoint " + partial.string() + " --corpus " + corpus_ + " --out " + out + " --count 1",
               "incomplete checkpoint");
  // Unreadable MIDI files.
  const fs::path junk = dir_ / "junk.mid";
  std::ofstream(junk) << "this is not a MIDI file at all";
  expect_error(
      "generate --checkpoint " + checkpoint_ + " --midi " + junk.string() + " --direction 'piano->bass' --out " + out,
      "error: " + junk.string() + ": ");
  expect_error("generate --checkpoint " + checkpoint_ + " --midi " + (dir_ / "missing.mid").string() +
                   " --direction 'piano->bass' --out " + out,
               "missing.mid");
  // Bad selections and options.
  expect_error(base_args(out) + " --count 100000", "--count: 100000 samples asked for");
  expect_error(base_args(out) + " --indices 1,x", "--indices: 'x' is not a non-negative integer");
  expect_error(base_args(out) + " --count 2 --indices 1", "exactly one of --count N and --indices LIST");
  expect_error(base_args(out) + " --count 1 --split nope", "--split", 2);
  expect_error(base_args(out) + " --count 1 --top-p 0", "top-p");
  expect_error(base_args(out) + " --count 1 --temperature -1", "temperature", 2);
  // The direction: another than the checkpoint's, from --direction or from the corpus.
  expect_error(
      "generate --checkpoint " + checkpoint_ + " --midi " + junk.string() + " --direction 'bass->piano' --out " + out,
      "error: --direction: 'bass->piano' differs from the direction the checkpoint was trained for, "
      "'piano->bass'");
  const std::string flipped = (dir_ / "flipped.h5").string();
  {
    acc::data::CorpusWriter w(flipped,
                              {read_text(checkpoint_ + "/tokenizer.json"), "bass->piano", "window_beats: 96\n"});
    w.add("valid", {4, 170, 40, 97, 110}, {4, 165, 20, 97, 110}, 0, 0);
    w.set_songs({"a.mid"});
    w.commit();
  }
  expect_error("generate --checkpoint " + checkpoint_ + " --corpus " + flipped + " --out " + out + " --count 1",
               "error: --corpus: " + flipped + " is bass->piano, but the checkpoint was trained for piano->bass");
  // A checkpoint from before corpus.json: the direction must be given, as it used to.
  const fs::path old = dir_ / "old_checkpoint";
  fs::copy(checkpoint_, old, fs::copy_options::recursive);
  fs::remove(old / "corpus.json");
  expect_error("generate --checkpoint " + old.string() + " --midi " + junk.string() + " --out " + out,
               "error: --midi: needs --corpus or --direction");
  expect_error(base_args(out) + " --count 1 --no-grammar-mask --max-notes-per-onset 1",
               "error: --max-notes-per-onset: is a rule of the grammar mask");
  expect_error(base_args(out) + " --count 1 --max-notes-per-onset 8", "error: --max-notes-per-onset: must be 0");
  // An empty split.
  const std::string empty = (dir_ / "empty.h5").string();
  {
    acc::data::CorpusWriter w(empty, {read_text(checkpoint_ + "/tokenizer.json"), "piano->bass", "window_beats: 96\n"});
    w.add("train", {4, 170, 40, 97, 110}, {4, 165, 20, 97, 110}, 0, 0);
    w.set_songs({"a.mid"});
    w.commit();
  }
  expect_error(
      "generate --checkpoint " + checkpoint_ + " --corpus " + empty + " --split test --out " + out + " --count 1",
      "split test has no pairs");
  EXPECT_FALSE(fs::exists(fs::path(out) / "meta.json"));
}

}  // namespace
