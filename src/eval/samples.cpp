#include "accompanist/eval/samples.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace acc::eval {

namespace fs = std::filesystem;

namespace {

// Generous caps so a wrong file cannot exhaust memory.
constexpr uint64_t kMaxSamplesBytes = uint64_t(4) << 30;
constexpr uint64_t kMaxMetaBytes = uint64_t(1) << 20;

tokenizer::TokenSeq parse_ids(const nlohmann::json& value, const std::string& where, const char* key) {
  ACC_CHECK(value.is_array(), where, std::string("\"") + key + "\" is not a list of token ids");
  tokenizer::TokenSeq ids;
  ids.reserve(value.size());
  for (const auto& v : value) {
    ACC_CHECK(v.is_number_integer(), where, std::string("\"") + key + "\" holds a non-integer token id " + v.dump());
    const int64_t id = v.get<int64_t>();
    ACC_CHECK(id >= 0 && id <= 65535, where,
              std::string("\"") + key + "\" holds the token id " + std::to_string(id) + ", outside 0..65535");
    ids.push_back(tokenizer::TokenId(id));
  }
  return ids;
}

std::string read_sha(const nlohmann::json& object, const std::string& where) {
  const auto it = object.find("tokenizer_sha256");
  if (it == object.end() || it->is_null()) return {};
  ACC_CHECK(it->is_string(), where, "\"tokenizer_sha256\" is not a string");
  return it->get<std::string>();
}

}  // namespace

SampleSet read_samples(const std::string& dir) {
  std::error_code ec;
  ACC_CHECK(fs::exists(dir, ec), dir, "no such directory");
  ACC_CHECK(fs::is_directory(dir, ec), dir, "not a directory");
  SampleSet set;
  set.path = (fs::path(dir) / "samples.jsonl").string();
  ACC_CHECK(fs::exists(set.path, ec), set.path, "missing (write samples with `accompanist generate` first)");

  const std::string meta_path = (fs::path(dir) / "meta.json").string();
  if (fs::exists(meta_path, ec)) {
    nlohmann::json meta = nlohmann::json::parse(util::read_file_text(meta_path, kMaxMetaBytes), nullptr, false);
    ACC_CHECK(!meta.is_discarded() && meta.is_object(), meta_path, "not a JSON object");
    set.meta_path = meta_path;
    set.tokenizer_sha256 = read_sha(meta, meta_path);
  }

  const std::string text = util::read_file_text(set.path, kMaxSamplesBytes);
  std::istringstream lines(text);
  std::string line;
  int64_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = set.path + ":" + std::to_string(number);
    nlohmann::json object = nlohmann::json::parse(line, nullptr, false);
    ACC_CHECK(!object.is_discarded(), where, "malformed JSON");
    ACC_CHECK(object.is_object(), where, "not a JSON object");
    for (const char* key : {"index", "source", "reference", "generated"})
      ACC_CHECK(object.contains(key), where, std::string("missing \"") + key + "\"");
    ACC_CHECK(object["index"].is_number_integer() && object["index"].get<int64_t>() >= 0, where,
              "\"index\" is not a non-negative integer");
    Sample sample;
    sample.index = object["index"].get<int64_t>();
    sample.source = parse_ids(object["source"], where, "source");
    sample.reference = parse_ids(object["reference"], where, "reference");
    sample.generated = parse_ids(object["generated"], where, "generated");
    sample.tokenizer_sha256 = read_sha(object, where);
    sample.line = number;
    set.samples.push_back(std::move(sample));
  }
  ACC_CHECK(!set.samples.empty(), set.path, "no samples");
  return set;
}

void check_samples(const SampleSet& set, size_t vocab_size, const std::string& corpus_tokenizer_sha256) {
  auto check_sha = [&](const std::string& sha, const std::string& where) {
    if (sha.empty() || corpus_tokenizer_sha256.empty()) return;
    ACC_CHECK(sha == corpus_tokenizer_sha256, where,
              "made with tokenizer " + sha + " but the corpus's tokenizer is " + corpus_tokenizer_sha256);
  };
  check_sha(set.tokenizer_sha256, set.meta_path);
  for (const Sample& sample : set.samples) {
    const std::string where = set.path + ":" + std::to_string(sample.line);
    check_sha(sample.tokenizer_sha256, where);
    for (const auto& [key, ids] : {std::pair<const char*, const tokenizer::TokenSeq*>{"source", &sample.source},
                                   {"reference", &sample.reference},
                                   {"generated", &sample.generated}}) {
      for (tokenizer::TokenId id : *ids)
        ACC_CHECK(size_t(id) < vocab_size, where,
                  std::string("\"") + key + "\" holds the token id " + std::to_string(id) +
                      ", outside the vocabulary of the corpus's tokenizer (" + std::to_string(vocab_size) + " ids)");
    }
  }
}

tokenizer::TokenSeq strip_special(const tokenizer::TokenSeq& ids) {
  tokenizer::TokenSeq out;
  out.reserve(ids.size());
  size_t i = 0;
  if (!ids.empty() && ids[0] == tokenizer::kBos) i = 1;
  for (; i < ids.size(); ++i) {
    if (ids[i] == tokenizer::kEos) break;
    if (ids[i] == tokenizer::kPad) continue;
    out.push_back(ids[i]);
  }
  return out;
}

}  // namespace acc::eval
