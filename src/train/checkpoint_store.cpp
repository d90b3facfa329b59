#include "accompanist/train/checkpoint_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace fs = std::filesystem;

namespace acc::train {
namespace {

constexpr const char* kStepPrefix = "step-";
constexpr const char* kStagingPrefix = ".staging-step-";

std::optional<int64_t> step_of(const std::string& name) {
  if (name.rfind(kStepPrefix, 0) != 0) return std::nullopt;
  const std::string digits = name.substr(std::string(kStepPrefix).size());
  if (digits.size() != 8 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
  return std::stoll(digits);
}

void fail_fs(const std::string& what, const std::error_code& ec) {
  if (ec) throw Error(what, ec.message());
}

}  // namespace

CheckpointStore::CheckpointStore(std::string run_dir) : dir_((fs::path(run_dir) / "checkpoints").string()) {}

bool CheckpointStore::is_complete(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / kCompleteMarker, ec);
}

std::string CheckpointStore::final_dir(int64_t step) const {
  return (fs::path(dir_) / fmt::format("{}{:08d}", kStepPrefix, step)).string();
}

std::string CheckpointStore::staging_dir(int64_t step) const {
  return (fs::path(dir_) / fmt::format("{}{:08d}", kStagingPrefix, step)).string();
}

std::string CheckpointStore::best_dir() const {
  return (fs::path(dir_) / "best").string();
}

void CheckpointStore::remove_stale_staging() const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) == 0 || name.rfind(".best-", 0) == 0) fs::remove_all(entry.path(), ec);
  }
}

std::string CheckpointStore::begin(int64_t step) const {
  std::error_code ec;
  const std::string staging = staging_dir(step);
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  fail_fs(staging, ec);
  return staging;
}

void CheckpointStore::commit(int64_t step, bool is_best, int keep_last) const {
  std::error_code ec;
  const std::string staging = staging_dir(step);
  const std::string final = final_dir(step);
  util::write_file_atomic((fs::path(staging) / kCompleteMarker).string(), fmt::format("step {}\n", step));
  fs::remove_all(final, ec);  // a re-run of the same step after a resume
  fs::rename(staging, final, ec);
  fail_fs(final, ec);

  if (is_best) {
    // Hard links: no copy of the weights, and the pruning below cannot take them away.
    const std::string tmp = (fs::path(dir_) / fmt::format(".best-{:08d}", step)).string();
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    fail_fs(tmp, ec);
    for (const auto& entry : fs::recursive_directory_iterator(final)) {
      const fs::path rel = fs::relative(entry.path(), final);
      if (entry.is_directory()) {
        fs::create_directories(fs::path(tmp) / rel, ec);
      } else {
        fs::create_hard_link(entry.path(), fs::path(tmp) / rel, ec);
        if (ec) fs::copy_file(entry.path(), fs::path(tmp) / rel, ec);  // file systems without hard links
      }
      fail_fs(tmp, ec);
    }
    const std::string old = best_dir() + ".old";
    fs::remove_all(old, ec);
    if (fs::exists(best_dir())) fs::rename(best_dir(), old, ec);
    fs::rename(tmp, best_dir(), ec);
    fail_fs(best_dir(), ec);
    fs::remove_all(old, ec);
  }

  std::vector<int64_t> steps = complete_steps();
  while (int(steps.size()) > keep_last) {
    fs::remove_all(final_dir(steps.front()), ec);
    steps.erase(steps.begin());
  }
}

std::vector<int64_t> CheckpointStore::complete_steps() const {
  std::vector<int64_t> steps;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return steps;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    auto step = step_of(entry.path().filename().string());
    if (step && is_complete(entry.path().string())) steps.push_back(*step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::optional<std::string> CheckpointStore::latest_complete() const {
  std::vector<int64_t> steps = complete_steps();
  if (steps.empty()) return std::nullopt;
  return final_dir(steps.back());
}

}  // namespace acc::train
