// Helpers shared by the data tests: scratch directories and small fixtures.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/scratch_dir.h"

namespace acc::data::testing {

using acc::testing::ScratchDir;

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
