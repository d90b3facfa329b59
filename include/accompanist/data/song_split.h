// Assigning songs to train/valid/test. The assignment of a song depends only
// on its path and the seed (not on the other files), so adding songs to a
// corpus never moves an existing song to another split:
//   u = first 8 bytes (big-endian) of sha256("<seed>:<path>") / 2^64
//   u < valid -> valid; u < valid + test -> test; otherwise train.
#pragma once

#include <cstdint>
#include <string>

namespace acc::data {

enum class SplitId { Train = 0, Valid = 1, Test = 2 };

const char* split_name(SplitId id);

// A number in [0, 1) from the song's path and the seed.
double song_split_value(const std::string& song_path, int64_t seed);

SplitId assign_split(const std::string& song_path, int64_t seed, double valid_fraction, double test_fraction);

}  // namespace acc::data
