#include "accompanist/data/corpus_writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_format.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/hdf5.h"
#include "accompanist/util/sha256.h"

namespace acc::data {

namespace {

void append_ids(std::vector<uint16_t>& out, const std::vector<int>& ids) {
  for (int id : ids) {
    if (id < 0 || id > 65535) throw Error("corpus", "token id " + std::to_string(id) + " does not fit uint16");
    out.push_back(uint16_t(id));
  }
}

}  // namespace

void SplitArrays::add(const std::vector<int>& source, const std::vector<int>& target, uint32_t song_index,
                      uint32_t window_index) {
  append_ids(source_tokens, source);
  append_ids(target_tokens, target);
  source_offsets.push_back(source_tokens.size());
  target_offsets.push_back(target_tokens.size());
  song.push_back(song_index);
  window.push_back(window_index);
}

CorpusWriter::CorpusWriter(std::string path, CorpusHeader header)
    : path_(std::move(path)), header_(std::move(header)) {}

SplitArrays& CorpusWriter::arrays(const std::string& split) {
  const auto& names = split_names();
  auto it = std::find(names.begin(), names.end(), split);
  if (it == names.end()) throw Error(path_, "no split named \"" + split + "\"");
  return splits_[size_t(it - names.begin())];
}

void CorpusWriter::add(const std::string& split, const std::vector<int>& source, const std::vector<int>& target,
                       uint32_t song_index, uint32_t window_index) {
  arrays(split).add(source, target, song_index, window_index);
}

void CorpusWriter::commit() {
  // Check what the reader checks, so a bad corpus is never written.
  int64_t vocab = 0;
  try {
    vocab = nlohmann::json::parse(header_.tokenizer_json).at("vocab_size").get<int64_t>();
  } catch (const std::exception& e) {
    throw Error(path_, std::string("tokenizer JSON has no vocab_size: ") + e.what());
  }
  for (size_t s = 0; s < splits_.size(); ++s) {
    const SplitArrays& a = splits_[s];
    for (const auto* tokens : {&a.source_tokens, &a.target_tokens})
      for (uint16_t t : *tokens)
        if (t >= vocab)
          throw Error(path_, "token id " + std::to_string(t) + " in split " + split_names()[s] +
                                 " is outside the vocabulary of " + std::to_string(vocab));
    for (uint32_t song : a.song)
      if (song >= songs_.size())
        throw Error(path_,
                    "song index " + std::to_string(song) + " but only " + std::to_string(songs_.size()) + " songs");
  }

  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw Error(path_, "cannot create directory " + parent.string() + ": " + ec.message());
  }
  util::AtomicPath atomic(path_);
  {
    util::h5::File file = util::h5::File::create(atomic.temp_path());
    {  // every object closed before the file, so that close() reports write errors
      util::h5::Group root = file.root();
      root.set_attr("format", std::string(kCorpusFormat));
      root.set_attr("version", kCorpusVersion);
      root.set_attr("tokenizer", header_.tokenizer_json);
      root.set_attr("tokenizer_sha256", util::sha256_hex(header_.tokenizer_json));
      root.set_attr("direction", header_.direction);
      root.set_attr("config", header_.config_yaml);
      for (size_t s = 0; s < splits_.size(); ++s) {
        const SplitArrays& a = splits_[s];
        util::h5::Group g = root.create_group(split_names()[s]);
        g.write("source_tokens", a.source_tokens);
        g.write("target_tokens", a.target_tokens);
        g.write("source_offsets", a.source_offsets);
        g.write("target_offsets", a.target_offsets);
        g.write("song", a.song);
        g.write("window", a.window);
      }
      root.write_strings("songs", songs_);
    }
    file.close();
  }
  atomic.commit();
}

}  // namespace acc::data
