// Scratch directories for tests: one rule for where they go and when they
// are removed, so that a test run leaves nothing behind in /tmp.
// Set ACCOMPANIST_KEEP_TEST_DIRS=1 to keep them for inspection.
// Header-only; every test target includes tests/ on its include path.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace acc::testing {

namespace scratch_detail {

inline std::filesystem::path make(const std::string& tag) {
  static std::atomic<int> counter{0};
  // pid: ctest runs test binaries in parallel; counter: one binary makes many.
  const auto path = std::filesystem::temp_directory_path() /
                    ("acc_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

inline void remove_unless_kept(const std::filesystem::path& path) {
  if (std::getenv("ACCOMPANIST_KEEP_TEST_DIRS")) return;
  std::error_code ec;  // best effort: a test's failure says more than a cleanup's
  std::filesystem::remove_all(path, ec);
}

// Directories handed out as plain strings, removed when the process exits.
class Registry {
 public:
  static Registry& instance() {
    static Registry r;
    return r;
  }
  void add(const std::filesystem::path& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    paths_.push_back(path);
  }
  ~Registry() {
    for (const auto& p : paths_) remove_unless_kept(p);
  }

 private:
  std::mutex mutex_;
  std::vector<std::filesystem::path> paths_;
};

}  // namespace scratch_detail

// A fresh, empty directory `<tmp>/acc_<tag>_<pid>_<n>`, removed with the object.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) : path_(scratch_detail::make(tag)) {}
  ~ScratchDir() { scratch_detail::remove_unless_kept(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The same for tests that pass a directory around by name (fixtures shared
// by a suite, run dirs): fresh now, removed when the test binary exits.
inline std::string scratch_dir(const std::string& tag) {
  auto path = scratch_detail::make(tag);
  scratch_detail::Registry::instance().add(path);
  return path.string();
}

}  // namespace acc::testing
