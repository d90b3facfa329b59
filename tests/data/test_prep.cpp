// The prep pipeline end to end on synthetic songs (plus broken files), checked
// against the Python reference tests/reference/data_snippets.py, and on the
// Debian corpus when datasets/debian/fetch.sh has put it in data/debian.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "accompanist/data/corpus.h"
#include "accompanist/data/prep.h"
#include "accompanist/data/snippets.h"
#include "accompanist/data/song_split.h"
#include "accompanist/data/synthetic_song.h"
#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/hdf5.h"
#include "data/test_util.h"

namespace fs = std::filesystem;
using acc::data::Corpus;
using acc::data::PrepOptions;
using acc::data::PrepSummary;
using acc::data::run_prep;
using acc::data::testing::ScratchDir;

namespace {

// A synthetic set with broken and unusable files mixed in.
struct Input {
  ScratchDir dir{"prep_in"};
  explicit Input(uint64_t songs, uint64_t seed = 11) {
    acc::data::write_synthetic_set(dir.path().string(), songs, seed, 2);
    fs::create_directories(dir.path() / "broken");
    std::ofstream(dir.file("broken/text.mid")) << "definitely not MIDI";
    std::ofstream(dir.file("broken/empty.midi"));
    std::ofstream(dir.file("broken/notes.txt")) << "ignored: not a MIDI name";
    acc::data::SyntheticSong s = acc::data::make_synthetic_song(seed, 100000);
    s.song.ticks_per_quarter = 24;  // below REMI's 32
    acc::midi::write_midi_file(s.song, dir.file("broken/low_tpq.mid"));
    acc::data::SyntheticSong t = acc::data::make_synthetic_song(seed, 100001);
    t.song.parts.erase(std::remove_if(t.song.parts.begin(), t.song.parts.end(),
                                      [](const acc::midi::Part& p) { return p.program >= 32 && p.program < 40; }),
                       t.song.parts.end());
    acc::midi::write_midi_file(t.song, dir.file("broken/no_bass.MID"));
  }
  std::string path() const { return dir.path().string(); }
};

PrepSummary prep(const std::string& input, const std::string& output, const std::vector<std::string>& overrides,
                 const std::atomic<bool>* cancel = nullptr) {
  PrepOptions o;
  o.input_dir = input;
  o.output_path = output;
  o.config = acc::data::load_prep_config("", overrides);
  o.progress = false;
  o.plot = false;
  o.cancel = cancel;
  return run_prep(o);
}

// Every dataset of every split, as raw bytes, plus the songs and the tokenizer.
std::map<std::string, std::vector<uint8_t>> corpus_arrays(const std::string& path) {
  namespace h5 = acc::util::h5;
  std::map<std::string, std::vector<uint8_t>> out;
  h5::File f = h5::File::open_read(path);
  h5::Group root = f.root();
  for (const char* split : {"train", "valid", "test"}) {
    h5::Group g = root.group(split);
    auto put = [&](const std::string& name, auto v) {
      const uint8_t* p = reinterpret_cast<const uint8_t*>(v.data());
      out[std::string(split) + "/" + name].assign(p, p + v.size() * sizeof(v[0]));
    };
    put("source_tokens", g.read<uint16_t>("source_tokens"));
    put("target_tokens", g.read<uint16_t>("target_tokens"));
    put("source_offsets", g.read<uint64_t>("source_offsets"));
    put("target_offsets", g.read<uint64_t>("target_offsets"));
    put("song", g.read<uint32_t>("song"));
    put("window", g.read<uint32_t>("window"));
  }
  std::string songs;
  for (const auto& s : root.read_strings("songs")) songs += s + "\n";
  out["songs"].assign(songs.begin(), songs.end());
  std::string tok = root.attr_string("tokenizer");
  out["tokenizer"].assign(tok.begin(), tok.end());
  return out;
}

// Runs the Python reference; returns its exit status and prints its output on failure.
int python_reference(const std::string& corpus, const std::string& input, int songs, std::string* output = nullptr) {
  const std::string out_file = corpus + ".reference.json";
  std::string cmd = std::string(ACC_REFERENCE_PYTHON) + " " + ACC_SOURCE_DIR + "/tests/reference/data_snippets.py '" +
                    corpus + "' '" + input + "' --songs " + std::to_string(songs) + " > '" + out_file + "'";
  int rc = acc::data::testing::run_shell(cmd);
  std::ifstream in(out_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (rc != 0) std::cerr << "reference output:\n" << text << "\n";
  if (output) *output = text;
  return rc;
}

class PrepSynthetic : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    input_ = new Input(60);
    out_ = new ScratchDir("prep_out");
    summary_ = new PrepSummary(prep(input_->path(), out_->file("one/corpus.h5"), {"threads=1", "bpe.vocab_size=320"}));
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete out_;
    delete input_;
  }
  static Input* input_;
  static ScratchDir* out_;
  static PrepSummary* summary_;
};
Input* PrepSynthetic::input_ = nullptr;
ScratchDir* PrepSynthetic::out_ = nullptr;
PrepSummary* PrepSynthetic::summary_ = nullptr;

TEST_F(PrepSynthetic, CountsAndReport) {
  const PrepSummary& s = *summary_;
  EXPECT_EQ(s.files_found, 64u);  // 60 songs + 4 broken MIDI names (notes.txt is ignored)
  EXPECT_EQ(s.skipped.at("unreadable"), 2u);
  EXPECT_EQ(s.skipped.at("ticks per quarter below 32"), 1u);
  EXPECT_EQ(s.skipped.at("no bass part"), 1u);
  EXPECT_EQ(s.files_used + s.skipped.at("unreadable") + s.skipped.at("ticks per quarter below 32") +
                s.skipped.at("no bass part") +
                (s.skipped.count("no window with both parts") ? s.skipped.at("no window with both parts") : 0),
            64u);
  EXPECT_GT(s.pairs[0], 60u);
  EXPECT_EQ(s.vocab_size, 320u);
  EXPECT_GT(s.remi_tokens, s.bpe_tokens);

  std::ifstream in(s.report_path);
  nlohmann::json rep = nlohmann::json::parse(in);
  EXPECT_EQ(fs::path(s.report_path).filename(), "prep_report.json");
  EXPECT_EQ(fs::path(s.report_path).parent_path(), fs::path(out_->file("one")));
  EXPECT_EQ(rep["files"]["found"], 64);
  EXPECT_EQ(rep["files"]["read"], 62);
  EXPECT_EQ(rep["files"]["skipped_by_reason"]["unreadable"], 2);
  EXPECT_EQ(rep["splits"]["train"]["pairs"], s.pairs[0]);
  EXPECT_EQ(rep["tokens"]["remi"], s.remi_tokens);
  EXPECT_EQ(rep["tokenizer"]["vocab_size"], 320);
  EXPECT_EQ(rep["token_histogram"]["source"]["bpe_counts"].size(), 320u);
  EXPECT_GT(rep["splits"]["train"]["lengths"]["bpe"]["source"]["p50"].get<int>(), 0);
  auto examples = rep["files"]["skipped_examples"]["unreadable"];
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_NE(examples[0].get<std::string>().find("broken/"), std::string::npos);
  // The resolved config reads back to the same settings.
  acc::data::PrepConfig cfg = acc::data::load_prep_config(s.config_path);
  EXPECT_EQ(cfg.bpe.vocab_size, 320);
  EXPECT_EQ(cfg.threads, 1);
}

TEST_F(PrepSynthetic, PairsDecodeToTheirSnippets) {
  Corpus c = Corpus::open(out_->file("one/corpus.h5"));
  auto tok = acc::tokenizer::Tokenizer::from_json(c.tokenizer_json());
  EXPECT_EQ(c.vocab_size(), 320);
  EXPECT_EQ(c.tokenizer_sha256(), tok.sha256());
  EXPECT_EQ(c.direction(), "piano->bass");
  acc::data::PrepConfig cfg;
  acc::util::load_config_text(cfg, c.prep_config_yaml(), "corpus");
  EXPECT_EQ(cfg.bpe.vocab_size, 320);

  std::map<uint32_t, std::string> song_split;
  size_t checked = 0;
  for (const std::string& name : acc::data::split_names()) {
    const auto& split = c.split(name);
    std::map<uint32_t, std::vector<acc::data::SnippetPair>> cache;
    for (size_t i = 0; i < split.size(); ++i) {
      uint32_t song = split.song(i);
      auto [it, fresh] = song_split.emplace(song, name);
      EXPECT_EQ(it->second, name) << "song in two splits";
      const std::string& rel = c.songs().at(song);
      EXPECT_EQ(acc::data::split_name(acc::data::assign_split(rel, cfg.split.seed, cfg.split.valid, cfg.split.test)),
                name);
      if (!cache.count(song)) {
        auto midi = acc::midi::read_midi_file(input_->dir.file(rel));
        cache[song] = acc::data::extract_snippets(midi, cfg).pairs;
        cache[song].push_back({});                                     // index by window below
        cache[song].back().window = uint32_t(midi.ticks_per_quarter);  // stash tpq
      }
      const auto& snippets = cache[song];
      int tpq = int(snippets.back().window);
      auto w = std::find_if(snippets.begin(), snippets.end() - 1,
                            [&](const acc::data::SnippetPair& p) { return p.window == split.window(i); });
      ASSERT_NE(w, snippets.end() - 1) << rel << " window " << split.window(i);
      for (int id : split.source(i)) ASSERT_LT(id, c.vocab_size());
      EXPECT_EQ(tok.decode_bpe(split.source(i).to_ids()), acc::tokenizer::encode_remi(w->source, tpq));
      EXPECT_EQ(tok.decode_bpe(split.target(i).to_ids()), acc::tokenizer::encode_remi(w->target, tpq));
      // Decoded notes are the snippet's notes on the REMI grid.
      auto decoded = tok.decode(split.target(i).to_ids());
      EXPECT_EQ(decoded.errors, 0);
      EXPECT_EQ(decoded.notes.size(), acc::tokenizer::quantize_notes(w->target, tpq).size());
      ++checked;
    }
  }
  EXPECT_EQ(checked, summary_->pairs[0] + summary_->pairs[1] + summary_->pairs[2]);
}

TEST_F(PrepSynthetic, MatchesThePythonReference) {
  std::string out;
  ASSERT_EQ(python_reference(out_->file("one/corpus.h5"), input_->path(), 0, &out), 0);
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["songs_checked"], summary_->files_used);
  EXPECT_EQ(j["pairs_checked"], summary_->pairs[0] + summary_->pairs[1] + summary_->pairs[2]);
}

TEST_F(PrepSynthetic, ThePythonReferenceCatchesATamperedCorpus) {
  // One pitch of one valid target moved by a semitone: still a well-formed
  // corpus, but no longer what the MIDI files say.
  const std::string copy = out_->file("tampered.h5");
  fs::copy_file(out_->file("one/corpus.h5"), copy, fs::copy_options::overwrite_existing);
  const std::string script =
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r+')\n"
      "t = f['train/target_tokens']\n"
      "a = t[()]\n"
      "i = next(k for k in range(len(a)) if 6 <= a[k] <= 91)\n"
      "a[i] += 1\n"
      "t[...] = a\n";
  std::ofstream(out_->file("tamper.py")) << script;
  ASSERT_EQ(acc::data::testing::run_shell(std::string(ACC_REFERENCE_PYTHON) + " '" + out_->file("tamper.py") + "' '" +
                                          copy + "'"),
            0);
  EXPECT_NO_THROW(Corpus::open(copy).split("train"));
  std::string out;
  EXPECT_EQ(python_reference(copy, input_->path(), 0, &out), 1);
  EXPECT_NE(out.find("ids differ"), std::string::npos) << out;
}

TEST_F(PrepSynthetic, ThreadCountDoesNotChangeTheTokens) {
  const std::string two = out_->file("two/corpus.h5");
  prep(input_->path(), two, {"threads=2", "bpe.vocab_size=320"});
  auto a = corpus_arrays(out_->file("one/corpus.h5")), b = corpus_arrays(two);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) EXPECT_TRUE(bytes == b.at(name)) << name << " differs";
  EXPECT_GT(a.at("train/source_tokens").size(), 1000u);
}

TEST_F(PrepSynthetic, ReusesATokenizerAndAugments) {
  Corpus base = Corpus::open(out_->file("one/corpus.h5"));
  const std::string tok_path = out_->file("tokenizer.json");
  std::ofstream(tok_path) << base.tokenizer_json();
  const std::string aug = out_->file("aug/corpus.h5");
  PrepSummary s =
      prep(input_->path(), aug, {"bpe.tokenizer=" + tok_path, "augment.transpose=[-3, 5]", "direction=bass->piano"});
  Corpus c = Corpus::open(aug);
  EXPECT_EQ(c.tokenizer_sha256(), base.tokenizer_sha256());
  EXPECT_EQ(c.direction(), "bass->piano");
  EXPECT_GT(s.augmented_pairs, 0u);
  EXPECT_EQ(s.pairs[0], summary_->pairs[0] + s.augmented_pairs);
  EXPECT_EQ(s.pairs[1], summary_->pairs[1]);  // valid and test are never transposed
  EXPECT_EQ(s.pairs[2], summary_->pairs[2]);
  // Source and target swapped with the direction.
  const auto& t0 = base.split("valid");
  const auto& t1 = c.split("valid");
  ASSERT_EQ(t0.size(), t1.size());
  if (t0.size() > 0) {
    EXPECT_EQ(t0.source(0).to_ids(), t1.target(0).to_ids());
    EXPECT_EQ(t0.target(0).to_ids(), t1.source(0).to_ids());
  }
  std::string out;
  EXPECT_EQ(python_reference(aug, input_->path(), 15, &out), 0);
}

TEST_F(PrepSynthetic, FiltersDropPairs) {
  const std::string path = out_->file("filtered/corpus.h5");
  PrepSummary s = prep(input_->path(), path, {"filter.max_len=300", "bpe.vocab_size=320", "threads=2"});
  Corpus c = Corpus::open(path);
  EXPECT_LT(s.pairs[0], summary_->pairs[0]);
  for (const std::string& name : acc::data::split_names()) {
    EXPECT_LE(c.split(name).max_source_length(), 300u);
    EXPECT_LE(c.split(name).max_target_length(), 300u);
  }
}

TEST(Prep, BadInputAndCancel) {
  ScratchDir dir("prep_bad");
  EXPECT_THROW(prep(dir.file("nowhere"), dir.file("c.h5"), {}), acc::Error);
  fs::create_directories(dir.path() / "empty");
  try {
    prep(dir.file("empty"), dir.file("c.h5"), {});
    FAIL();
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no MIDI files"), std::string::npos) << e.what();
  }
  // Only unusable files: an error, and no corpus.
  std::ofstream(dir.file("empty/x.mid")) << "junk";
  EXPECT_THROW(prep(dir.file("empty"), dir.file("c.h5"), {}), acc::Error);
  EXPECT_FALSE(fs::exists(dir.file("c.h5")));

  Input input(6);
  std::atomic<bool> cancel{true};
  try {
    prep(input.path(), dir.file("c.h5"), {}, &cancel);
    FAIL();
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir.file("c.h5")));
  EXPECT_THROW(prep(input.path(), dir.path().string(), {}), acc::Error);  // output is a directory
}

// The test points (PrepOptions::test_point) come in run order; a cancel at
// any point before the rename leaves nothing in the output folder, one after
// it cancels nothing.
TEST(Prep, CancelAtEachTestPoint) {
  Input input(6);
  for (const std::string point : acc::data::kPrepTestPoints) {
    SCOPED_TRACE(point);
    ScratchDir dir("prep_cancel");
    std::atomic<bool> cancel{false};
    std::vector<std::string> seen;  // the points reached, once each
    PrepOptions o;
    o.input_dir = input.path();
    o.output_path = dir.file("out/c.h5");
    o.config = acc::data::load_prep_config("", {"bpe.vocab_size=220", "threads=1"});
    o.progress = false;
    o.plot = false;
    o.cancel = &cancel;
    o.test_point = [&](const std::string& at, uint64_t done) {
      if (seen.empty() || seen.back() != at) seen.push_back(at);
      if (at == point) cancel = true;
    };
    fs::create_directories(dir.file("out"));
    if (point == "committed") {
      EXPECT_NO_THROW(run_prep(o));
      EXPECT_EQ(seen,
                std::vector<std::string>(std::begin(acc::data::kPrepTestPoints), std::end(acc::data::kPrepTestPoints)));
      EXPECT_NO_THROW(Corpus::open(o.output_path).split("train"));
      EXPECT_TRUE(fs::exists(dir.file("out/prep_report.json")));
      continue;
    }
    try {
      run_prep(o);
      FAIL() << "not cancelled";
    } catch (const acc::Error& e) {
      EXPECT_EQ(std::string(e.what()), "prep: interrupted");
    }
    EXPECT_EQ(seen.back(), point);
    EXPECT_TRUE(fs::is_empty(dir.file("out"))) << fs::directory_iterator(dir.file("out"))->path();
  }
}

TEST(Prep, ListsMidiFilesSorted) {
  ScratchDir dir("prep_list");
  for (const char* name : {"b/2.mid", "a/1.MID", "a/0.kar", "c.rmi", "d.midi", "e.txt", "b/10.mid"}) {
    fs::create_directories((dir.path() / name).parent_path());
    std::ofstream(dir.path() / name) << "x";
  }
  EXPECT_EQ(acc::data::list_midi_files(dir.path().string()),
            (std::vector<std::string>{"a/0.kar", "a/1.MID", "b/10.mid", "b/2.mid", "c.rmi", "d.midi"}));
  EXPECT_THROW(acc::data::list_midi_files(dir.file("e.txt")), acc::Error);
}

// The real thing: the Debian songs (datasets/debian/fetch.sh puts them in data/debian).
TEST(PrepDebian, MatchesThePythonReference) {
  const std::string input = std::string(ACC_SOURCE_DIR) + "/data/debian";
  if (!fs::is_directory(input)) GTEST_SKIP() << "no " << input << " (run datasets/debian/fetch.sh)";
  ScratchDir out("prep_debian");
  PrepSummary one = prep(input, out.file("a/corpus.h5"), {"threads=1"});
  PrepSummary two = prep(input, out.file("b/corpus.h5"), {"threads=2"});
  EXPECT_GT(one.files_used, 10u);
  auto a = corpus_arrays(out.file("a/corpus.h5")), b = corpus_arrays(out.file("b/corpus.h5"));
  for (const auto& [name, bytes] : a) EXPECT_TRUE(bytes == b.at(name)) << name << " differs";
  std::string text;
  EXPECT_EQ(python_reference(out.file("a/corpus.h5"), input, 0, &text), 0);
  std::cout << text << "\n";
}

}  // namespace
