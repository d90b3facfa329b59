#include "accompanist/data/prep.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/data/snippets.h"
#include "accompanist/data/song_split.h"
#include "accompanist/midi/reader.h"
#include "accompanist/tokenizer/statistics.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/progress.h"
#include "accompanist/util/thread_pool.h"
#include "prep_report.h"

namespace fs = std::filesystem;

namespace acc::data {
namespace {

using tokenizer::TokenSeq;
using Clock = std::chrono::steady_clock;

constexpr const char* kLowResolution = "ticks per quarter below 32";
constexpr size_t kExamplesPerReason = 20;

struct EncodedPair {
  uint32_t window = 0;
  int shift = 0;            // transposition in semitones (0: the original)
  TokenSeq source, target;  // REMI ids, replaced by BPE ids after encoding
  uint64_t remi_source = 0, remi_target = 0;
  bool dropped = false;  // by filter.max_len
};

struct FileResult {
  std::string skip_reason, message;
  SplitId split = SplitId::Train;
  std::vector<EncodedPair> pairs;
  uint64_t notes = 0;
  WindowStats windows;
};

void check_cancel(const PrepOptions& o) {
  if (o.cancel && o.cancel->load()) throw Error("prep", "interrupted");
}

void test_point(const PrepOptions& o, const char* point, uint64_t done) {
  if (o.test_point) o.test_point(point, done);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

FileResult process_file(const std::string& path, const std::string& song, const PrepConfig& cfg) {
  FileResult r;
  r.split = assign_split(song, cfg.split.seed, cfg.split.valid, cfg.split.test);
  midi::Song midi_song;
  try {
    midi_song = midi::read_midi_file(path);
  } catch (const std::exception& e) {  // acc::Error, or bad_alloc on a hostile file
    r.skip_reason = detail::kUnreadable;
    r.message = e.what();
    return r;
  }
  const int tpq = midi_song.ticks_per_quarter;
  if (tpq < tokenizer::kMinTicksPerQuarter) {
    r.skip_reason = kLowResolution;
    r.message = fmt::format("{}: {} ticks per quarter", path, tpq);
    return r;
  }
  SongSnippets snippets = extract_snippets(midi_song, cfg);
  r.windows = snippets.stats;
  if (!snippets.skip_reason.empty()) {
    r.skip_reason = snippets.skip_reason;
    return r;
  }
  std::vector<int> shifts = {0};
  if (r.split == SplitId::Train)
    shifts.insert(shifts.end(), cfg.augment.transpose.begin(), cfg.augment.transpose.end());
  for (const SnippetPair& p : snippets.pairs) {
    r.notes += p.source.size() + p.target.size();
    for (int shift : shifts) {
      EncodedPair e;
      e.window = p.window;
      e.shift = shift;
      if (shift == 0) {
        e.source = tokenizer::encode_remi(p.source, tpq);
        e.target = tokenizer::encode_remi(p.target, tpq);
      } else {
        auto s = transpose_notes(p.source, shift), t = transpose_notes(p.target, shift);
        if (!s || !t) continue;  // a pitch would leave [21, 108]
        e.source = tokenizer::encode_remi(*s, tpq);
        e.target = tokenizer::encode_remi(*t, tpq);
      }
      e.remi_source = e.source.size();
      e.remi_target = e.target.size();
      r.pairs.push_back(std::move(e));
    }
  }
  return r;
}

std::unique_ptr<util::Progress> make_progress(const PrepOptions& o, const std::string& label, uint64_t total,
                                              const std::string& unit) {
  util::Progress::Options po;
  if (!o.progress) po.mode = util::Progress::Mode::Off;
  return std::make_unique<util::Progress>(label, total, unit, po);
}

// The training split's original pairs (not the transposed copies), source and
// target sequences alike, in corpus order: what BPE learns from.
struct TrainingSequences {
  std::vector<tokenizer::TokenId> tokens;
  std::vector<uint64_t> offsets = {0};
  size_t count() const { return offsets.size() - 1; }
};

TrainingSequences training_sequences(const std::vector<FileResult>& results) {
  TrainingSequences seqs;
  for (const FileResult& r : results) {
    if (r.split != SplitId::Train) continue;
    for (const EncodedPair& p : r.pairs) {
      if (p.shift != 0) continue;
      for (const TokenSeq* s : {&p.source, &p.target}) {
        seqs.tokens.insert(seqs.tokens.end(), s->begin(), s->end());
        seqs.offsets.push_back(seqs.tokens.size());
      }
    }
  }
  return seqs;
}

tokenizer::Tokenizer learn_bpe(const PrepOptions& o, const std::vector<FileResult>& results) {
  const PrepConfig& cfg = o.config;
  const TrainingSequences seqs = training_sequences(results);
  if (seqs.count() == 0)
    throw Error("prep", "no training pairs to learn BPE from (set bpe.tokenizer, or give more songs)");
  tokenizer::BpeTrainOptions bo;
  bo.vocab_size = size_t(cfg.bpe.vocab_size);
  bo.merge_bar_with_notes = cfg.bpe.merge_bar_with_notes;
  const size_t wanted =
      bo.vocab_size > size_t(tokenizer::kBaseVocabSize) ? bo.vocab_size - tokenizer::kBaseVocabSize : 0;
  auto bar = make_progress(o, "prep: learning BPE", wanted, "merges");
  size_t reported = 0;
  bo.progress = [&](size_t done, size_t) {
    test_point(o, "bpe", done);
    check_cancel(o);
    bar->add(done - reported);
    reported = done;
  };
  spdlog::info("prep: learning {} BPE merges on {} training sequences ({} tokens)", wanted, seqs.count(),
               seqs.tokens.size());
  std::vector<tokenizer::Merge> merges =
      tokenizer::train_bpe(seqs.tokens.data(), seqs.offsets.data(), seqs.count(), bo);
  bar->finish();
  if (merges.size() < wanted)
    spdlog::warn("prep: only {} merges found (vocabulary {} instead of {})", merges.size(),
                 tokenizer::kBaseVocabSize + merges.size(), bo.vocab_size);
  return tokenizer::Tokenizer(tokenizer::Bpe(std::move(merges)));
}

std::string sibling(const std::string& output, const std::string& name) {
  fs::path dir = fs::path(output).parent_path();
  return (dir.empty() ? fs::path(name) : dir / name).string();
}

// One run of the pipeline: run() is the sequence of steps; each step leaves
// what the next needs in the members.
class PrepRun {
 public:
  explicit PrepRun(const PrepOptions& o) : o_(o), cfg_(o.config) {}

  PrepSummary run() {
    cfg_.validate("prep config");
    start_ = Clock::now();
    find_files();
    read_files();
    make_tokenizer();
    bpe_encode();
    const detail::CorpusTally tally = write_corpus();
    sum_.seconds = seconds_since(start_);
    write_files_next_to_corpus(tally);
    return sum_;
  }

 private:
  // The MIDI files of the input tree, sorted, and the pool that reads them.
  void find_files() {
    std::error_code ec;
    if (fs::is_directory(o_.output_path, ec)) throw Error(o_.output_path, "is a directory (give the corpus file name)");
    files_ = list_midi_files(o_.input_dir);
    if (files_.empty()) throw Error(o_.input_dir, "no MIDI files (.mid, .midi, .kar, .rmi) found");
    sum_.files_found = files_.size();
    pool_.emplace(cfg_.threads);
    spdlog::info("prep: {} MIDI files under {}, {} threads, {}", files_.size(), o_.input_dir, pool_->size(),
                 cfg_.direction);
  }

  // Calls body(i) for every file on the pool, with a progress bar and the test
  // point after each file. Each file's work lands in its own slot of results_,
  // so the corpus does not depend on the number of threads.
  void for_each_file(const char* label, const char* point, const std::function<void(size_t)>& body) {
    auto bar = make_progress(o_, label, files_.size(), "files");
    std::atomic<uint64_t> done{0};
    pool_->parallel_for(files_.size(), [&](size_t i) {
      check_cancel(o_);
      body(i);
      bar->add();
      test_point(o_, point, ++done);
    });
  }

  // Reads, cuts and REMI-encodes every file.
  void read_files() {
    results_.resize(files_.size());
    for_each_file("prep: reading", "read", [&](size_t i) {
      results_[i] = process_file((fs::path(o_.input_dir) / files_[i]).string(), files_[i], cfg_);
    });
    sum_.read_seconds = seconds_since(start_);
    check_cancel(o_);
  }

  // The tokenizer: learnt on the training split, or loaded.
  void make_tokenizer() {
    const auto t = Clock::now();
    if (!cfg_.bpe.tokenizer.empty()) {
      spdlog::info("prep: using the tokenizer {}", cfg_.bpe.tokenizer);
      tok_ = tokenizer::Tokenizer::load(cfg_.bpe.tokenizer);
    } else {
      tok_ = learn_bpe(o_, results_);
    }
    times_.bpe_train = seconds_since(t);
    sum_.vocab_size = tok_.vocab_size();
    check_cancel(o_);
  }

  // BPE-encodes every pair in place and marks those filter.max_len drops.
  void bpe_encode() {
    const auto t = Clock::now();
    const size_t max_len = size_t(cfg_.filter.max_len);  // 0: off (the config's range is [0, 2^30])
    for_each_file("prep: BPE encoding", "encode", [&](size_t i) {
      for (EncodedPair& p : results_[i].pairs) {
        p.source = tok_.apply_bpe(p.source);
        p.target = tok_.apply_bpe(p.target);
        if (max_len > 0 && (p.source.size() > max_len || p.target.size() > max_len)) p.dropped = true;
      }
    });
    times_.bpe_encode = seconds_since(t);
    check_cancel(o_);
  }

  // Assembles the corpus in path order and commits it; returns what the
  // report needs beyond the summary.
  detail::CorpusTally write_corpus() {
    const auto t = Clock::now();
    CorpusWriter writer(o_.output_path, {tok_.to_json(), cfg_.direction, util::dump_config(cfg_)});
    detail::CorpusTally tally(tok_.bpe());
    std::vector<std::string> songs;
    for (size_t i = 0; i < files_.size(); ++i) add_file(i, writer, songs, tally);
    const uint64_t pairs = sum_.pairs[0] + sum_.pairs[1] + sum_.pairs[2];
    if (pairs == 0)
      throw Error(o_.input_dir, fmt::format("no pairs: none of the {} files has a window with both a {} and a {} part",
                                            files_.size(), cfg_.source_family(), cfg_.target_family()));
    writer.set_songs(songs);
    test_point(o_, "write", pairs);
    check_cancel(o_);
    writer.commit();
    test_point(o_, "committed", 1);
    times_.write = seconds_since(t);
    return tally;
  }

  // Adds the pairs of file i to the corpus (its song is listed once it has a
  // pair), or counts why the file was skipped.
  void add_file(size_t i, CorpusWriter& writer, std::vector<std::string>& songs, detail::CorpusTally& tally) {
    FileResult& r = results_[i];
    tally.windows.windows += r.windows.windows;
    tally.windows.dropped_sparse += r.windows.dropped_sparse;
    tally.windows.dropped_density += r.windows.dropped_density;
    if (!r.skip_reason.empty()) {
      count_skipped(files_[i], r, tally);
      return;
    }
    bool any = false;
    for (const EncodedPair& p : r.pairs) {
      if (p.dropped) {
        ++tally.dropped_max_len;
        continue;
      }
      if (!any) {
        songs.push_back(files_[i]);
        ++sum_.songs[size_t(r.split)];
        any = true;
      }
      writer.add(split_name(r.split), p.source, p.target, uint32_t(songs.size() - 1), p.window);
      count_pair(r.split, p, tally);
    }
    if (any) {
      ++sum_.files_used;
      sum_.notes += r.notes;
    }
    r.pairs.clear();  // the corpus file holds them now
    r.pairs.shrink_to_fit();
  }

  void count_skipped(const std::string& file, const FileResult& r, detail::CorpusTally& tally) {
    const uint64_t n = ++sum_.skipped[r.skip_reason];
    auto& ex = tally.skipped_examples[r.skip_reason];
    if (ex.size() < kExamplesPerReason)
      ex.push_back(r.message.empty() ? nlohmann::json(file) : nlohmann::json(r.message));
    if (r.skip_reason == detail::kUnreadable && n <= 10) spdlog::warn("prep: skipped {}", r.message);
  }

  void count_pair(SplitId split, const EncodedPair& p, detail::CorpusTally& tally) {
    const size_t s = size_t(split);
    ++sum_.pairs[s];
    if (p.shift != 0) ++sum_.augmented_pairs;
    sum_.remi_tokens += p.remi_source + p.remi_target;
    sum_.bpe_tokens += p.source.size() + p.target.size();
    detail::SplitLengths& l = tally.lengths[s];
    l.remi_source.push_back(p.remi_source);
    l.remi_target.push_back(p.remi_target);
    l.bpe_source.push_back(p.source.size());
    l.bpe_target.push_back(p.target.size());
    tally.source_stats.add_bpe_sequence(p.source);
    tally.target_stats.add_bpe_sequence(p.target);
  }

  // The report, the resolved config, the tokenizer and the plot, next to the corpus.
  void write_files_next_to_corpus(const detail::CorpusTally& tally) {
    const nlohmann::json report = detail::prep_report(o_, pool_->size(), sum_, tally, tok_, times_);
    sum_.report_path = sibling(o_.output_path, "prep_report.json");
    sum_.config_path = sibling(o_.output_path, "prep_config.yaml");
    util::write_file_atomic(sum_.report_path, report.dump(2) + "\n");
    util::write_file_atomic(sum_.config_path, util::dump_config(cfg_));
    sum_.tokenizer_path = sibling(o_.output_path, "tokenizer.json");
    util::write_file_atomic(sum_.tokenizer_path, tok_.to_json());
    if (o_.plot) plot_token_histogram();
  }

  void plot_token_histogram() {
    const std::string png = sibling(o_.output_path, "prep_token_histogram.png");
    std::string why = detail::run_histogram_plot(sum_.report_path, png);
    if (why.empty())
      sum_.plot_path = png;
    else
      spdlog::warn("prep: token histogram plot skipped: {}", why);
  }

  const PrepOptions& o_;
  const PrepConfig& cfg_;
  Clock::time_point start_;
  PrepSummary sum_;
  detail::PrepTimes times_;
  std::vector<std::string> files_;        // relative to the input directory, sorted
  std::optional<util::ThreadPool> pool_;  // started once there are files to read
  std::vector<FileResult> results_;       // one per file
  tokenizer::Tokenizer tok_;
};

}  // namespace

std::vector<std::string> list_midi_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(dir, "no such directory");
  if (!fs::is_directory(dir, ec)) throw Error(dir, "not a directory");
  std::vector<std::string> out;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw Error(dir, "cannot list: " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error(dir, "cannot list: " + ec.message());
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext != ".mid" && ext != ".midi" && ext != ".kar" && ext != ".rmi") continue;
    out.push_back(it->path().lexically_relative(dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

PrepSummary run_prep(const PrepOptions& o) {
  return PrepRun(o).run();
}

}  // namespace acc::data
