// Helpers shared by the data tests: scratch directories and small fixtures.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace acc::data::testing {

// A fresh directory under the system temp dir, removed when the object dies
// (set ACCOMPANIST_KEEP_TEST_DIRS=1 to keep it for inspection).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("acc_data_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    if (!std::getenv("ACCOMPANIST_KEEP_TEST_DIRS")) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A tokenizer JSON without merges (the base REMI vocabulary).
inline std::string base_tokenizer_json(int vocab_size = 197) {
  return "{\"format\": \"accompanist-tokenizer\", \"version\": 1, \"base\": \"remi-miditok-2.1\", \"vocab_size\": " +
         std::to_string(vocab_size) + ", \"merges\": []}";
}

// Runs a shell command and returns its exit status (-1 when it did not exit).
inline int run_shell(const std::string& command) {
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace acc::data::testing
