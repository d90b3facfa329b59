#include "run_record.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "accompanist/util/file.h"
#include "accompanist/util/version.h"

namespace acc::train {
namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

std::string run_json_path(const std::string& run_dir) {
  return (std::filesystem::path(run_dir) / "run.json").string();
}

const char* status_name(RunStatus s) {
  switch (s) {
    case RunStatus::running:
      return "running";
    case RunStatus::stopped:
      return "stopped";
    case RunStatus::complete:
      return "complete";
  }
  return "running";
}

}  // namespace

void write_run_record(const std::string& run_dir, const RunRecord& r) {
  const std::string path = run_json_path(run_dir);
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  if (std::filesystem::exists(path)) {
    // A damaged record must not stop training: the history is informative only.
    auto old = nlohmann::ordered_json::parse(util::read_file_text(path), nullptr, false);
    if (old.is_object()) {
      if (old.contains("history") && old["history"].is_array()) history = old["history"];
      old.erase("history");
      history.push_back(old);
    }
  }
  nlohmann::ordered_json j;
  j["argv"] = r.argv;
  j["config_file"] = r.config_file;
  j["overrides"] = r.overrides;
  j["ranks"] = r.ranks;
  j["threads_per_rank"] = r.threads_per_rank;
  j["parameters"] = r.parameters;
  j["resumed_from"] = r.resumed_from;
  j["precision"] = r.precision;
  j["precision_reason"] = r.precision_reason;
  if (!r.init_from.empty())
    j["init_from"] = {
        {"checkpoint", r.init_from}, {"step", r.init_from_step}, {"parameters_sha256", r.init_parameters_sha256}};
  j["git"] = git_revision();
  j["version"] = version();
  j["host"] = host_name();
  j["started_utc"] = utc_now();
  j["status"] = status_name(RunStatus::running);
  j["step"] = r.step;
  j["max_steps"] = r.max_steps;
  j["history"] = history;
  util::write_file_atomic(path, j.dump(2) + "\n");
}

void write_run_status(const std::string& run_dir, RunStatus status, int64_t step, int64_t max_steps) {
  const std::string path = run_json_path(run_dir);
  // write_run_record made it at the start; were it gone or damaged, the status alone still tells.
  nlohmann::ordered_json j;
  if (std::filesystem::exists(path)) j = nlohmann::ordered_json::parse(util::read_file_text(path), nullptr, false);
  if (!j.is_object()) j = nlohmann::ordered_json::object();
  j["status"] = status_name(status);
  j["step"] = step;
  j["max_steps"] = max_steps;
  util::write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace acc::train
