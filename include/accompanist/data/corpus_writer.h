// Writing the HDF5 token-pair corpus (format in corpus.h). Pairs are gathered
// in memory, then commit() writes everything to a temporary file, closes it
// (so write errors surface), and renames it onto the final path: an
// interrupted prep never leaves a file at the output path.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace acc::data {

struct CorpusHeader {
  std::string tokenizer_json;  // its sha256 is computed and stored by the writer
  std::string direction;       // "piano->bass", ...
  std::string config_yaml;     // the resolved prep config
};

// The arrays of one split, as stored.
struct SplitArrays {
  std::vector<uint16_t> source_tokens, target_tokens;
  std::vector<uint64_t> source_offsets{0}, target_offsets{0};
  std::vector<uint32_t> song, window;

  size_t size() const { return song.size(); }
  void add(const std::vector<int>& source, const std::vector<int>& target, uint32_t song_index, uint32_t window_index);
};

class CorpusWriter {
 public:
  CorpusWriter(std::string path, CorpusHeader header);

  // split: "train", "valid" or "test". Ids must fit the tokenizer's vocabulary
  // (checked in commit()).
  void add(const std::string& split, const std::vector<int>& source, const std::vector<int>& target,
           uint32_t song_index, uint32_t window_index);
  SplitArrays& arrays(const std::string& split);
  void set_songs(std::vector<std::string> songs) { songs_ = std::move(songs); }

  // Writes <path>.tmp-<pid>, then renames it onto path. Throws acc::Error on
  // any failure, leaving nothing at path.
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  CorpusHeader header_;
  std::array<SplitArrays, 3> splits_;
  std::vector<std::string> songs_;
};

}  // namespace acc::data
