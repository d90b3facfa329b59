#include "accompanist/data/corpus.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <mutex>

#include "accompanist/data/corpus_format.h"
#include "accompanist/util/error.h"
#include "accompanist/util/hdf5.h"
#include "accompanist/util/sha256.h"

namespace acc::data {

const std::vector<std::string>& split_names() {
  static const std::vector<std::string> names = {"train", "valid", "test"};
  return names;
}

TokenSpan CorpusSplit::source(size_t i) const {
  uint64_t b = source_offsets_.at(i), e = source_offsets_.at(i + 1);
  return TokenSpan{source_tokens_.data() + b, size_t(e - b)};
}

TokenSpan CorpusSplit::target(size_t i) const {
  uint64_t b = target_offsets_.at(i), e = target_offsets_.at(i + 1);
  return TokenSpan{target_tokens_.data() + b, size_t(e - b)};
}

namespace {

size_t max_length(const std::vector<uint64_t>& offsets) {
  size_t best = 0;
  for (size_t i = 0; i + 1 < offsets.size(); ++i) best = std::max<size_t>(best, offsets[i + 1] - offsets[i]);
  return best;
}

int split_index(const std::string& name) {
  const auto& names = split_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return int(i);
  return -1;
}

}  // namespace

size_t CorpusSplit::max_source_length() const {
  return max_length(source_offsets_);
}
size_t CorpusSplit::max_target_length() const {
  return max_length(target_offsets_);
}

struct Corpus::Impl {
  std::string path;
  util::h5::File file;
  uint64_t file_bytes = 0;
  std::string tokenizer_json, tokenizer_sha256, direction, config_yaml;
  std::vector<std::string> songs;
  int vocab_size = 0;
  // Offsets and song/window arrays are read and checked at open; tokens on first use.
  std::array<CorpusSplit, 3> splits;
  std::array<std::once_flag, 3> loaded;
  std::mutex hdf5_mutex;  // the serial HDF5 library is not thread-safe

  [[noreturn]] void fail(const std::string& why) const { throw Error(path, why); }
  // Datasets are contiguous and uncompressed, at least a byte per entry: a
  // larger count (e.g. an unwritten dataset of 2^40 entries in a 16 KB file)
  // is refused before anything that size is allocated.
  void check_entries(const std::string& dataset, uint64_t n) const {
    if (n > file_bytes)
      fail(dataset + " claims " + std::to_string(n) + " entries, more than the file's " + std::to_string(file_bytes) +
           " bytes can hold");
  }

  void read_header(const util::h5::Group& root);
  void read_index(const util::h5::Group& root, CorpusSplit& s);
  void load_tokens(CorpusSplit& s);
};

void Corpus::Impl::read_header(const util::h5::Group& root) {
  if (!root.has_attr("format")) fail("not an accompanist corpus (no 'format' attribute)");
  std::string format = root.attr_string("format");
  if (format != kCorpusFormat) fail("not an accompanist corpus (format is \"" + format + "\")");
  if (!root.has_attr("version")) fail("no 'version' attribute");
  int64_t version = root.attr_int("version");
  if (version != kCorpusVersion)
    fail("unsupported corpus version " + std::to_string(version) + " (this build reads version " +
         std::to_string(kCorpusVersion) + ")");
  for (const char* name : {"tokenizer", "tokenizer_sha256", "direction", "config"})
    if (!root.has_attr(name)) fail(std::string("no '") + name + "' attribute");
  tokenizer_json = root.attr_string("tokenizer");
  tokenizer_sha256 = root.attr_string("tokenizer_sha256");
  direction = root.attr_string("direction");
  config_yaml = root.attr_string("config");

  std::string computed = util::sha256_hex(tokenizer_json);
  if (computed != tokenizer_sha256)
    fail("tokenizer hash mismatch (recorded " + tokenizer_sha256 + ", computed " + computed + ")");
  nlohmann::json tok;
  try {
    tok = nlohmann::json::parse(tokenizer_json);
  } catch (const std::exception& e) {
    fail(std::string("tokenizer attribute is not valid JSON: ") + e.what());
  }
  if (!tok.is_object() || !tok.contains("vocab_size") || !tok["vocab_size"].is_number_integer())
    fail("tokenizer attribute has no integer vocab_size");
  int64_t v = tok["vocab_size"].get<int64_t>();
  if (v < 1 || v > 65536) fail("tokenizer vocab_size " + std::to_string(v) + " does not fit uint16 token ids");
  vocab_size = int(v);
  size_t arrow = direction.find("->");
  if (arrow == std::string::npos || arrow == 0 || arrow + 2 >= direction.size())
    fail("direction attribute \"" + direction + "\" is not of the form \"source->target\"");

  if (!root.has("songs")) fail("no /songs dataset");
  std::vector<uint64_t> dims = root.shape("songs");
  if (dims.size() == 1) check_entries("/songs", dims[0]);  // read_strings refuses other ranks
  songs = root.read_strings("songs");
}

void Corpus::Impl::read_index(const util::h5::Group& root, CorpusSplit& s) {
  const std::string& name = s.name_;
  if (!root.has(name)) fail("no /" + name + " group");
  util::h5::Group g = root.group(name);
  auto length_of = [&](const char* ds) -> uint64_t {
    if (!g.has(ds)) fail("no /" + name + "/" + ds + " dataset");
    std::vector<uint64_t> dims = g.shape(ds);
    if (dims.size() != 1) fail("/" + name + "/" + ds + " is not one-dimensional");
    check_entries("/" + name + "/" + ds, dims[0]);
    return dims[0];
  };
  uint64_t n = length_of("song");
  if (length_of("window") != n)
    fail("/" + name + "/window has " + std::to_string(length_of("window")) + " entries, /" + name + "/song has " +
         std::to_string(n));
  for (const char* side : {"source", "target"}) {
    std::string offsets = std::string(side) + "_offsets", tokens = std::string(side) + "_tokens";
    uint64_t n_off = length_of(offsets.c_str());
    uint64_t n_tok = length_of(tokens.c_str());
    if (n_off != n + 1)
      fail("/" + name + "/" + offsets + " has " + std::to_string(n_off) + " entries, expected " +
           std::to_string(n + 1) + " (pairs + 1)");
    std::vector<uint64_t> off = g.read<uint64_t>(offsets);
    if (off.front() != 0) fail("/" + name + "/" + offsets + " does not start at 0");
    for (size_t i = 0; i + 1 < off.size(); ++i)
      if (off[i + 1] < off[i]) fail("/" + name + "/" + offsets + " decreases at entry " + std::to_string(i + 1));
    if (off.back() != n_tok)
      fail("/" + name + "/" + offsets + " ends at " + std::to_string(off.back()) + " but /" + name + "/" + tokens +
           " has " + std::to_string(n_tok) + " tokens");
    (std::string(side) == "source" ? s.source_offsets_ : s.target_offsets_) = std::move(off);
  }
  s.song_ = g.read<uint32_t>("song");
  s.window_ = g.read<uint32_t>("window");
  for (size_t i = 0; i < s.song_.size(); ++i)
    if (s.song_[i] >= songs.size())
      fail("/" + name + "/song[" + std::to_string(i) + "] = " + std::to_string(s.song_[i]) + " but /songs has " +
           std::to_string(songs.size()) + " entries");
}

void Corpus::Impl::load_tokens(CorpusSplit& s) {
  const std::string& name = s.name_;
  {
    std::lock_guard<std::mutex> lock(hdf5_mutex);
    util::h5::Group g = file.root().group(name);
    s.source_tokens_ = g.read<uint16_t>("source_tokens");
    s.target_tokens_ = g.read<uint16_t>("target_tokens");
  }
  for (const auto* tokens : {&s.source_tokens_, &s.target_tokens_}) {
    auto bad = std::find_if(tokens->begin(), tokens->end(), [&](uint16_t t) { return t >= vocab_size; });
    if (bad != tokens->end())
      fail("/" + name + (tokens == &s.source_tokens_ ? "/source_tokens" : "/target_tokens") + " holds token id " +
           std::to_string(*bad) + " at " + std::to_string(bad - tokens->begin()) + ", outside the vocabulary of " +
           std::to_string(vocab_size));
  }
}

Corpus::Corpus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Corpus::Corpus(Corpus&&) noexcept = default;
Corpus& Corpus::operator=(Corpus&&) noexcept = default;
Corpus::~Corpus() = default;

Corpus Corpus::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->file = util::h5::File::open_read(path);
  std::error_code ec;
  impl->file_bytes = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path, "cannot get the file size: " + ec.message());
  util::h5::Group root = impl->file.root();
  impl->read_header(root);
  for (size_t i = 0; i < impl->splits.size(); ++i) {
    impl->splits[i].name_ = split_names()[i];
    impl->read_index(root, impl->splits[i]);
  }
  return Corpus(std::move(impl));
}

const CorpusSplit& Corpus::split(const std::string& name) const {
  int i = split_index(name);
  if (i < 0) throw Error(impl_->path, "no split named \"" + name + "\" (expected train, valid or test)");
  std::call_once(impl_->loaded[i], [&] { impl_->load_tokens(impl_->splits[i]); });
  return impl_->splits[i];
}

const std::string& Corpus::tokenizer_json() const {
  return impl_->tokenizer_json;
}
const std::string& Corpus::tokenizer_sha256() const {
  return impl_->tokenizer_sha256;
}
const std::string& Corpus::direction() const {
  return impl_->direction;
}
const std::string& Corpus::prep_config_yaml() const {
  return impl_->config_yaml;
}
const std::vector<std::string>& Corpus::songs() const {
  return impl_->songs;
}
int Corpus::vocab_size() const {
  return impl_->vocab_size;
}
const std::string& Corpus::path() const {
  return impl_->path;
}

}  // namespace acc::data
