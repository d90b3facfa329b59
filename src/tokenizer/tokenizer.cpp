#include "accompanist/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/sha256.h"

namespace acc::tokenizer {
namespace {

// A tokenizer of 65535 ids has ~65k merges: ~1.2 MB of JSON. Anything far
// larger is not a tokenizer.
constexpr uint64_t kMaxTokenizerBytes = uint64_t(16) << 20;

std::string describe(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

int64_t integer_field(const nlohmann::json& v, const std::string& what, const std::string& key) {
  if (!v.is_number_integer()) throw Error(what, "\"" + key + "\" must be an integer, not " + describe(v));
  return v.get<int64_t>();
}

}  // namespace

Tokenizer Tokenizer::train(const std::vector<TokenSeq>& base_sequences, const BpeTrainOptions& options) {
  return Tokenizer(Bpe(train_bpe(base_sequences, options)));
}

Tokenizer Tokenizer::from_json(const std::string& text, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what, std::string("not a tokenizer: invalid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw Error(what, "not a tokenizer: the JSON is not an object");
  static const std::set<std::string> kKeys = {"format", "version", "base", "vocab_size", "merges"};
  for (const auto& item : j.items()) {
    if (!kKeys.count(item.key())) throw Error(what, "unknown key \"" + item.key() + "\"");
  }
  for (const char* key : {"format", "version", "base", "vocab_size", "merges"}) {
    if (!j.contains(key)) throw Error(what, std::string("missing key \"") + key + "\"");
  }
  if (!j["format"].is_string() || j["format"].get<std::string>() != kTokenizerFormat) {
    throw Error(what, "format is " + describe(j["format"]) + ", expected \"" + kTokenizerFormat + "\"");
  }
  int64_t version = integer_field(j["version"], what, "version");
  if (version != kTokenizerVersion) {
    throw Error(what, "unsupported tokenizer version " + std::to_string(version) + " (this build reads version " +
                          std::to_string(kTokenizerVersion) + ")");
  }
  if (!j["base"].is_string() || j["base"].get<std::string>() != kTokenizerBase) {
    throw Error(what, "base is " + describe(j["base"]) + ", expected \"" + kTokenizerBase + "\"");
  }
  int64_t vocab_size = integer_field(j["vocab_size"], what, "vocab_size");
  const nlohmann::json& jm = j["merges"];
  if (!jm.is_array()) throw Error(what, "\"merges\" must be a list of [a, b] pairs");
  std::vector<Merge> merges;
  merges.reserve(jm.size());
  for (size_t i = 0; i < jm.size(); ++i) {
    const nlohmann::json& m = jm[i];
    if (!m.is_array() || m.size() != 2 || !m[0].is_number_integer() || !m[1].is_number_integer()) {
      throw Error(what, "merge " + std::to_string(i) + " is " + describe(m) + ", not a pair of integer ids");
    }
    int64_t a = m[0].get<int64_t>(), b = m[1].get<int64_t>();
    auto in_range = [](int64_t x) { return x >= INT32_MIN && x <= INT32_MAX; };
    if (!in_range(a) || !in_range(b)) {
      throw Error(what, "merge " + std::to_string(i) + " " + describe(m) + " refers to an id out of range");
    }
    merges.emplace_back(TokenId(a), TokenId(b));
  }
  if (vocab_size != int64_t(kBaseVocabSize) + int64_t(merges.size())) {
    throw Error(what, "vocab_size " + std::to_string(vocab_size) + " does not match the " +
                          std::to_string(merges.size()) + " merges (expected " +
                          std::to_string(kBaseVocabSize + int64_t(merges.size())) + " = 197 + merges)");
  }
  try {
    return Tokenizer(Bpe(std::move(merges)));
  } catch (const Error& e) {
    throw Error(what, e.what());
  }
}

Tokenizer Tokenizer::load(const std::string& path) {
  return from_json(util::read_file_text(path, kMaxTokenizerBytes), path);
}

std::string Tokenizer::to_json() const {
  nlohmann::ordered_json j;
  j["format"] = kTokenizerFormat;
  j["version"] = kTokenizerVersion;
  j["base"] = kTokenizerBase;
  j["vocab_size"] = vocab_size();
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();
  for (const auto& [a, b] : bpe_.merges()) merges.push_back({a, b});
  j["merges"] = std::move(merges);
  return j.dump() + "\n";
}

void Tokenizer::save(const std::string& path) const {
  util::write_file_atomic(path, to_json());
}

std::string Tokenizer::sha256() const {
  return util::sha256_hex(to_json());
}

std::string Tokenizer::token_name(TokenId id) const {
  if (id >= 0 && id < kBaseVocabSize) return Vocabulary::name(id);
  size_t length = 0;
  const TokenId* e = bpe_.expansion(id, &length);
  if (e == nullptr) return Vocabulary::name(id);
  std::string name;
  for (size_t i = 0; i < length; ++i) name += (i ? "+" : "") + Vocabulary::name(e[i]);
  return name;
}

TokenSeq Tokenizer::encode(const std::vector<midi::Note>& notes, int ticks_per_quarter) const {
  thread_local TokenSeq base;
  encode_remi(notes, ticks_per_quarter, base);
  return bpe_.encode(base);
}

DecodeResult Tokenizer::decode(const TokenSeq& ids) const {
  DecodeResult result = decode_remi(bpe_.decode(ids));
  result.tokens = int64_t(ids.size());
  return result;
}

std::vector<int32_t> Tokenizer::bar_counts() const {
  std::vector<int32_t> out(vocab_size(), 0);
  for (size_t id = 0; id < out.size(); ++id) {
    size_t n = 0;
    const TokenId* e = bpe_.expansion(TokenId(id), &n);
    for (size_t i = 0; i < n; ++i) out[id] += e[i] == kBar ? 1 : 0;
  }
  return out;
}

}  // namespace acc::tokenizer
