#include "accompanist/data/prep.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>

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
#include "accompanist/util/version.h"
#include "prep_report.h"

namespace fs = std::filesystem;

namespace acc::data {
namespace {

using tokenizer::TokenSeq;
using Clock = std::chrono::steady_clock;

constexpr const char* kUnreadable = "unreadable";
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
    r.skip_reason = kUnreadable;
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

tokenizer::Tokenizer make_tokenizer(const PrepOptions& o, const std::vector<FileResult>& results) {
  const PrepConfig& cfg = o.config;
  if (!cfg.bpe.tokenizer.empty()) {
    spdlog::info("prep: using the tokenizer {}", cfg.bpe.tokenizer);
    return tokenizer::Tokenizer::load(cfg.bpe.tokenizer);
  }
  // The training split's original pairs (not the transposed copies), source and
  // target sequences alike, in corpus order.
  std::vector<tokenizer::TokenId> tokens;
  std::vector<uint64_t> offsets = {0};
  for (const FileResult& r : results) {
    if (r.split != SplitId::Train) continue;
    for (const EncodedPair& p : r.pairs) {
      if (p.shift != 0) continue;
      for (const TokenSeq* s : {&p.source, &p.target}) {
        tokens.insert(tokens.end(), s->begin(), s->end());
        offsets.push_back(tokens.size());
      }
    }
  }
  if (offsets.size() == 1)
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
  spdlog::info("prep: learning {} BPE merges on {} training sequences ({} tokens)", wanted, offsets.size() - 1,
               tokens.size());
  std::vector<tokenizer::Merge> merges = tokenizer::train_bpe(tokens.data(), offsets.data(), offsets.size() - 1, bo);
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
  const PrepConfig& cfg = o.config;
  cfg.validate("prep config");
  const auto t0 = Clock::now();
  PrepSummary sum;
  std::error_code ec;
  if (fs::is_directory(o.output_path, ec)) throw Error(o.output_path, "is a directory (give the corpus file name)");

  const std::vector<std::string> files = list_midi_files(o.input_dir);
  if (files.empty()) throw Error(o.input_dir, "no MIDI files (.mid, .midi, .kar, .rmi) found");
  sum.files_found = files.size();
  util::ThreadPool pool(cfg.threads);
  spdlog::info("prep: {} MIDI files under {}, {} threads, {}", files.size(), o.input_dir, pool.size(), cfg.direction);

  // 1. Read, cut and REMI-encode every file; each result in its own slot.
  std::vector<FileResult> results(files.size());
  {
    auto bar = make_progress(o, "prep: reading", files.size(), "files");
    std::atomic<uint64_t> read{0};
    pool.parallel_for(files.size(), [&](size_t i) {
      check_cancel(o);
      results[i] = process_file((fs::path(o.input_dir) / files[i]).string(), files[i], cfg);
      bar->add();
      test_point(o, "read", ++read);
    });
  }
  sum.read_seconds = seconds_since(t0);
  check_cancel(o);

  // 2. The tokenizer: learnt on the training split, or loaded.
  const auto t_bpe = Clock::now();
  tokenizer::Tokenizer tok = make_tokenizer(o, results);
  const double bpe_train_seconds = seconds_since(t_bpe);
  sum.vocab_size = tok.vocab_size();
  check_cancel(o);

  // 3. BPE-encode every pair (in place), again one slot per file.
  const auto t_enc = Clock::now();
  {
    auto bar = make_progress(o, "prep: BPE encoding", files.size(), "files");
    std::atomic<uint64_t> encoded{0};
    pool.parallel_for(results.size(), [&](size_t i) {
      check_cancel(o);
      for (EncodedPair& p : results[i].pairs) {
        p.source = tok.apply_bpe(p.source);
        p.target = tok.apply_bpe(p.target);
        if (cfg.filter.max_len > 0 &&
            (p.source.size() > size_t(cfg.filter.max_len) || p.target.size() > size_t(cfg.filter.max_len)))
          p.dropped = true;
      }
      bar->add();
      test_point(o, "encode", ++encoded);
    });
  }
  const double encode_seconds = seconds_since(t_enc);
  check_cancel(o);

  // 4. Assemble the corpus in path order.
  const auto t_write = Clock::now();
  CorpusWriter writer(o.output_path, {tok.to_json(), cfg.direction, util::dump_config(cfg)});
  std::vector<std::string> songs;
  std::map<std::string, std::vector<nlohmann::json>> examples;
  WindowStats windows;
  uint64_t dropped_max_len = 0;
  struct Lengths {
    std::vector<uint64_t> remi_source, remi_target, bpe_source, bpe_target;
  };
  std::array<Lengths, 3> lengths;
  tokenizer::TokenStatistics source_stats(tok.bpe()), target_stats(tok.bpe());
  for (size_t i = 0; i < files.size(); ++i) {
    FileResult& r = results[i];
    windows.windows += r.windows.windows;
    windows.dropped_sparse += r.windows.dropped_sparse;
    windows.dropped_density += r.windows.dropped_density;
    if (!r.skip_reason.empty()) {
      ++sum.skipped[r.skip_reason];
      auto& ex = examples[r.skip_reason];
      if (ex.size() < kExamplesPerReason)
        ex.push_back(r.message.empty() ? nlohmann::json(files[i]) : nlohmann::json(r.message));
      if (r.skip_reason == kUnreadable && sum.skipped[kUnreadable] <= 10) spdlog::warn("prep: skipped {}", r.message);
      continue;
    }
    const size_t s = size_t(r.split);
    bool any = false;
    for (EncodedPair& p : r.pairs) {
      if (p.dropped) {
        ++dropped_max_len;
        continue;
      }
      if (!any) {
        songs.push_back(files[i]);
        ++sum.songs[s];
        any = true;
      }
      writer.add(split_name(r.split), p.source, p.target, uint32_t(songs.size() - 1), p.window);
      ++sum.pairs[s];
      if (p.shift != 0) ++sum.augmented_pairs;
      sum.remi_tokens += p.remi_source + p.remi_target;
      sum.bpe_tokens += p.source.size() + p.target.size();
      Lengths& l = lengths[s];
      l.remi_source.push_back(p.remi_source);
      l.remi_target.push_back(p.remi_target);
      l.bpe_source.push_back(p.source.size());
      l.bpe_target.push_back(p.target.size());
      source_stats.add_bpe_sequence(p.source);
      target_stats.add_bpe_sequence(p.target);
    }
    if (any) {
      ++sum.files_used;
      sum.notes += r.notes;
    }
    r.pairs.clear();
    r.pairs.shrink_to_fit();
  }
  if (sum.pairs[0] + sum.pairs[1] + sum.pairs[2] == 0)
    throw Error(o.input_dir, fmt::format("no pairs: none of the {} files has a window with both a {} and a {} part",
                                         files.size(), cfg.source_family(), cfg.target_family()));
  writer.set_songs(songs);
  test_point(o, "write", sum.pairs[0] + sum.pairs[1] + sum.pairs[2]);
  check_cancel(o);
  writer.commit();
  test_point(o, "committed", 1);
  const double write_seconds = seconds_since(t_write);
  sum.seconds = seconds_since(t0);

  // 5. The report, the resolved config and the plot, next to the corpus.
  nlohmann::json rep;
  rep["accompanist"] = {{"version", acc::version()}, {"git_revision", acc::git_revision()}};
  rep["input"] = o.input_dir;
  rep["output"] = o.output_path;
  rep["direction"] = cfg.direction;
  rep["threads"] = pool.size();
  nlohmann::json skipped = nlohmann::json::object();
  for (const auto& [reason, n] : sum.skipped) skipped[reason] = n;
  uint64_t n_skipped = 0;
  for (const auto& kv : sum.skipped) n_skipped += kv.second;
  rep["files"] = {{"found", sum.files_found},
                  {"read", sum.files_found - (sum.skipped.count(kUnreadable) ? sum.skipped.at(kUnreadable) : 0)},
                  {"used", sum.files_used},
                  {"skipped", n_skipped},
                  {"skipped_by_reason", skipped},
                  {"skipped_examples", examples}};
  rep["windows"] = {{"total", windows.windows},
                    {"dropped_sparse", windows.dropped_sparse},
                    {"dropped_density", windows.dropped_density},
                    {"dropped_max_len", dropped_max_len}};
  nlohmann::json splits;
  for (size_t s = 0; s < 3; ++s) {
    const Lengths& l = lengths[s];
    std::vector<uint64_t> thresholds = {256, 512, 1024, 1500, 2048};
    if (cfg.filter.max_len > 0) thresholds.push_back(uint64_t(cfg.filter.max_len));
    uint64_t remi = 0, bpe = 0;
    for (size_t k = 0; k < l.bpe_source.size(); ++k) {
      remi += l.remi_source[k] + l.remi_target[k];
      bpe += l.bpe_source[k] + l.bpe_target[k];
    }
    splits[split_names()[s]] = {
        {"songs", sum.songs[s]},
        {"pairs", sum.pairs[s]},
        {"tokens", {{"remi", remi}, {"bpe", bpe}}},
        {"lengths",
         {{"remi",
           {{"source", detail::length_summary(l.remi_source)}, {"target", detail::length_summary(l.remi_target)}}},
          {"bpe",
           {{"source", detail::length_summary(l.bpe_source)}, {"target", detail::length_summary(l.bpe_target)}}}}},
        {"pairs_longer_than", detail::over_length_counts(l.bpe_source, l.bpe_target, thresholds)}};
  }
  splits["train"]["augmented_pairs"] = sum.augmented_pairs;
  rep["splits"] = splits;
  rep["notes"] = sum.notes;
  rep["tokens"] = {{"remi", sum.remi_tokens},
                   {"bpe", sum.bpe_tokens},
                   {"compression", sum.bpe_tokens ? double(sum.remi_tokens) / double(sum.bpe_tokens) : 0.0}};
  rep["tokenizer"] = {{"vocab_size", tok.vocab_size()},
                      {"merges", tok.bpe().merges().size()},
                      {"sha256", tok.sha256()},
                      {"source", cfg.bpe.tokenizer.empty() ? "trained on the training split" : cfg.bpe.tokenizer}};
  rep["token_histogram"] = {{"source", nlohmann::json::parse(source_stats.to_json())},
                            {"target", nlohmann::json::parse(target_stats.to_json())}};
  rep["time_s"] = {{"read", sum.read_seconds},
                   {"bpe_train", bpe_train_seconds},
                   {"bpe_encode", encode_seconds},
                   {"write", write_seconds},
                   {"total", sum.seconds}};
  rep["throughput"] = {{"files_per_s", sum.read_seconds > 0 ? double(sum.files_found) / sum.read_seconds : 0.0},
                       {"notes_per_s", sum.read_seconds > 0 ? double(sum.notes) / sum.read_seconds : 0.0}};

  sum.report_path = sibling(o.output_path, "prep_report.json");
  sum.config_path = sibling(o.output_path, "prep_config.yaml");
  util::write_file_atomic(sum.report_path, rep.dump(2) + "\n");
  util::write_file_atomic(sum.config_path, util::dump_config(cfg));
  sum.tokenizer_path = sibling(o.output_path, "tokenizer.json");
  util::write_file_atomic(sum.tokenizer_path, tok.to_json());
  if (o.plot) {
    const std::string png = sibling(o.output_path, "prep_token_histogram.png");
    std::string why = detail::run_histogram_plot(sum.report_path, png);
    if (why.empty())
      sum.plot_path = png;
    else
      spdlog::warn("prep: token histogram plot skipped: {}", why);
  }
  return sum;
}

}  // namespace acc::data
