// Constants of the corpus file format (SPEC section 9), shared by reader and writer.
#pragma once

#include <cstdint>

namespace acc::data {

inline constexpr const char* kCorpusFormat = "accompanist-corpus";
inline constexpr int64_t kCorpusVersion = 1;

}  // namespace acc::data
