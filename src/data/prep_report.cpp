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
