#include "prep_report.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>

#include "accompanist/util/env.h"

#include "accompanist/data/corpus.h"
#include "accompanist/util/version.h"

namespace acc::data::detail {

nlohmann::json length_summary(std::vector<uint64_t> lengths) {
  nlohmann::json j;
  j["count"] = lengths.size();
  if (lengths.empty()) {
    for (const char* k : {"mean", "min", "p50", "p90", "p95", "p99", "max"}) j[k] = 0;
    return j;
  }
  std::sort(lengths.begin(), lengths.end());
  double sum = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  j["mean"] = std::round(10.0 * sum / double(lengths.size())) / 10.0;
  j["min"] = lengths.front();
  auto pct = [&](double p) {  // nearest rank
    size_t rank = size_t(std::ceil(p / 100.0 * double(lengths.size())));
    return lengths[std::clamp<size_t>(rank, 1, lengths.size()) - 1];
  };
  j["p50"] = pct(50);
  j["p90"] = pct(90);
  j["p95"] = pct(95);
  j["p99"] = pct(99);
  j["max"] = lengths.back();
  return j;
}

nlohmann::json over_length_counts(const std::vector<uint64_t>& source_lengths,
                                  const std::vector<uint64_t>& target_lengths, std::vector<uint64_t> thresholds) {
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  nlohmann::json j = nlohmann::json::object();
  for (uint64_t t : thresholds) {
    uint64_t n = 0;
    for (size_t i = 0; i < source_lengths.size(); ++i)
      if (source_lengths[i] > t || target_lengths[i] > t) ++n;
    j[std::to_string(t)] = n;
  }
  return j;
}

namespace {

nlohmann::json files_json(const PrepSummary& sum, const CorpusTally& tally) {
  nlohmann::json skipped = nlohmann::json::object();
  uint64_t n_skipped = 0;
  for (const auto& [reason, n] : sum.skipped) {
    skipped[reason] = n;
    n_skipped += n;
  }
  const auto unreadable = sum.skipped.find(kUnreadable);
  return {{"found", sum.files_found},
          {"read", sum.files_found - (unreadable != sum.skipped.end() ? unreadable->second : 0)},
          {"used", sum.files_used},
          {"skipped", n_skipped},
          {"skipped_by_reason", skipped},
          {"skipped_examples", tally.skipped_examples}};
}

nlohmann::json split_json(uint64_t songs, uint64_t pairs, const SplitLengths& l, int max_len) {
  std::vector<uint64_t> thresholds = {256, 512, 1024, 1500, 2048};
  if (max_len > 0) thresholds.push_back(uint64_t(max_len));
  uint64_t remi = 0, bpe = 0;
  for (size_t k = 0; k < l.bpe_source.size(); ++k) {
    remi += l.remi_source[k] + l.remi_target[k];
    bpe += l.bpe_source[k] + l.bpe_target[k];
  }
  return {{"songs", songs},
          {"pairs", pairs},
          {"tokens", {{"remi", remi}, {"bpe", bpe}}},
          {"lengths",
           {{"remi", {{"source", length_summary(l.remi_source)}, {"target", length_summary(l.remi_target)}}},
            {"bpe", {{"source", length_summary(l.bpe_source)}, {"target", length_summary(l.bpe_target)}}}}},
          {"pairs_longer_than", over_length_counts(l.bpe_source, l.bpe_target, thresholds)}};
}

nlohmann::json splits_json(const PrepSummary& sum, const CorpusTally& tally, int max_len) {
  nlohmann::json splits;
  for (size_t s = 0; s < 3; ++s)
    splits[split_names()[s]] = split_json(sum.songs[s], sum.pairs[s], tally.lengths[s], max_len);
  splits["train"]["augmented_pairs"] = sum.augmented_pairs;
  return splits;
}

std::string scripts_dir() {
  if (const std::optional<std::string> env = util::env_value("ACCOMPANIST_SCRIPTS_DIR")) return *env;
#ifdef ACC_DEFAULT_SCRIPTS_DIR
  return ACC_DEFAULT_SCRIPTS_DIR;
#else
  return "scripts";
#endif
}

std::string python() {
  if (const std::optional<std::string> env = util::env_value("ACCOMPANIST_PYTHON")) return *env;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

}  // namespace

nlohmann::json prep_report(const PrepOptions& o, int threads, const PrepSummary& sum, const CorpusTally& tally,
                           const tokenizer::Tokenizer& tok, const PrepTimes& times) {
  const PrepConfig& cfg = o.config;
  nlohmann::json rep;
  rep["accompanist"] = {{"version", acc::version()}, {"git_revision", acc::git_revision()}};
  rep["input"] = o.input_dir;
  rep["output"] = o.output_path;
  rep["direction"] = cfg.direction;
  rep["threads"] = threads;
  rep["files"] = files_json(sum, tally);
  rep["windows"] = {{"total", tally.windows.windows},
                    {"dropped_sparse", tally.windows.dropped_sparse},
                    {"dropped_density", tally.windows.dropped_density},
                    {"dropped_max_len", tally.dropped_max_len}};
  rep["splits"] = splits_json(sum, tally, cfg.filter.max_len);
  rep["notes"] = sum.notes;
  rep["tokens"] = {{"remi", sum.remi_tokens},
                   {"bpe", sum.bpe_tokens},
                   {"compression", sum.bpe_tokens ? double(sum.remi_tokens) / double(sum.bpe_tokens) : 0.0}};
  rep["tokenizer"] = {{"vocab_size", tok.vocab_size()},
                      {"merges", tok.bpe().merges().size()},
                      {"sha256", tok.sha256()},
                      {"source", cfg.bpe.tokenizer.empty() ? "trained on the training split" : cfg.bpe.tokenizer}};
  rep["token_histogram"] = {{"source", nlohmann::json::parse(tally.source_stats.to_json())},
                            {"target", nlohmann::json::parse(tally.target_stats.to_json())}};
  rep["time_s"] = {{"read", sum.read_seconds},
                   {"bpe_train", times.bpe_train},
                   {"bpe_encode", times.bpe_encode},
                   {"write", times.write},
                   {"total", sum.seconds}};
  rep["throughput"] = {{"files_per_s", sum.read_seconds > 0 ? double(sum.files_found) / sum.read_seconds : 0.0},
                       {"notes_per_s", sum.read_seconds > 0 ? double(sum.notes) / sum.read_seconds : 0.0}};
  return rep;
}

std::string run_histogram_plot(const std::string& report_path, const std::string& png_path) {
  const std::string script = scripts_dir() + "/plot_token_histogram.py";
  if (!std::filesystem::exists(script)) return script + " not found (set ACCOMPANIST_SCRIPTS_DIR)";
  const std::string py = python();
  pid_t pid = ::fork();
  if (pid < 0) return "cannot start " + py;
  if (pid == 0) {
    // The script's own diagnostics go to stderr; its stdout is not ours to use.
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
    ::execlp(py.c_str(), py.c_str(), script.c_str(), report_path.c_str(), png_path.c_str(), (char*)nullptr);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "lost the plot process";
  }
  if (!WIFEXITED(status)) return "the plot script was killed";
  int rc = WEXITSTATUS(status);
  if (rc == 0) return "";
  if (rc == 127) return "cannot run " + py;
  if (rc == 3) return "matplotlib is not available to " + py;
  return "the plot script failed (exit " + std::to_string(rc) + ")";
}

}  // namespace acc::data::detail
