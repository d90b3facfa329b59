#include "accompanist/data/song_split.h"

#include "accompanist/util/sha256.h"

namespace acc::data {

const char* split_name(SplitId id) {
  switch (id) {
    case SplitId::Train:
      return "train";
    case SplitId::Valid:
      return "valid";
    case SplitId::Test:
      return "test";
  }
  return "?";
}

double song_split_value(const std::string& song_path, int64_t seed) {
  std::string hex = util::sha256_hex(std::to_string(seed) + ":" + song_path);
  uint64_t x = std::stoull(hex.substr(0, 16), nullptr, 16);
  return double(x >> 11) * 0x1.0p-53;  // 53 bits: exact in a double, < 1
}

SplitId assign_split(const std::string& song_path, int64_t seed, double valid_fraction, double test_fraction) {
  double u = song_split_value(song_path, seed);
  if (u < valid_fraction) return SplitId::Valid;
  if (u < valid_fraction + test_fraction) return SplitId::Test;
  return SplitId::Train;
}

}  // namespace acc::data
