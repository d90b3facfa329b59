#include "accompanist/data/corpus_record.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "accompanist/data/corpus.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace acc::data {

namespace {
constexpr const char* kFormat = "accompanist-corpus-record";
constexpr int kVersion = 1;
}  // namespace

std::string CorpusRecord::to_json() const {
  nlohmann::ordered_json target_json = {{"notes", target.notes}, {"onsets", target.onsets}};
  target_json["notes_per_onset"] = target.onsets > 0 ? nlohmann::ordered_json(target.notes_per_onset()) : nullptr;
  nlohmann::ordered_json j = {{"format", kFormat},
                              {"version", kVersion},
                              {"direction", direction},
                              {"corpus", corpus},
                              {"tokenizer_sha256", tokenizer_sha256},
                              {"train_pairs", train_pairs},
                              {"target", target_json},
                              {"prep_config", prep_config}};
  return j.dump(2) + "\n";
}

CorpusRecord CorpusRecord::from_json(const std::string& text, const std::string& source) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  ACC_CHECK(!j.is_discarded() && j.is_object(), source, "not a JSON object");
  CorpusRecord r;
  try {
    ACC_CHECK(j.at("format") == kFormat, source, std::string("format is not ") + kFormat);
    ACC_CHECK(j.at("version") == kVersion, source, "unsupported version " + j.at("version").dump());
    r.direction = j.at("direction").get<std::string>();
    r.corpus = j.value("corpus", "");
    r.tokenizer_sha256 = j.at("tokenizer_sha256").get<std::string>();
    r.train_pairs = j.at("train_pairs").get<int64_t>();
    r.target.notes = j.at("target").at("notes").get<int64_t>();
    r.target.onsets = j.at("target").at("onsets").get<int64_t>();
    r.prep_config = j.value("prep_config", "");
  } catch (const nlohmann::json::exception& e) {
    throw Error(source, std::string("bad corpus record: ") + e.what());
  }
  return r;
}

TargetStatistics measure_targets(const CorpusSplit& split, const tokenizer::Bpe& bpe) {
  // Notes and onsets in each id's expansion.
  std::vector<int32_t> notes(bpe.vocab_size(), 0), onsets(bpe.vocab_size(), 0);
  for (size_t id = 0; id < notes.size(); ++id) {
    for (tokenizer::TokenId base : bpe.expansion(tokenizer::TokenId(id))) {
      const tokenizer::TokenType type = tokenizer::Vocabulary::type(base);
      notes[id] += type == tokenizer::TokenType::Pitch ? 1 : 0;
      onsets[id] += type == tokenizer::TokenType::Position ? 1 : 0;
    }
  }
  TargetStatistics s;
  for (size_t i = 0; i < split.size(); ++i) {
    for (uint16_t id : split.target(i)) {
      ACC_CHECK(id < notes.size(), split.name(), "target id " + std::to_string(id) + " outside the vocabulary");
      s.notes += notes[id];
      s.onsets += onsets[id];
    }
  }
  return s;
}

CorpusRecord describe_corpus(const Corpus& corpus) {
  const auto tok = tokenizer::Tokenizer::from_json(corpus.tokenizer_json(), corpus.path() + " (tokenizer)");
  const CorpusSplit& train = corpus.split("train");
  CorpusRecord r;
  r.direction = corpus.direction();
  r.corpus = std::filesystem::absolute(corpus.path()).string();
  r.tokenizer_sha256 = corpus.tokenizer_sha256();
  r.train_pairs = int64_t(train.size());
  r.target = measure_targets(train, tok.bpe());
  r.prep_config = corpus.prep_config_yaml();
  return r;
}

std::optional<CorpusRecord> read_corpus_record(const std::string& checkpoint_dir) {
  const std::string path = (std::filesystem::path(checkpoint_dir) / kCorpusRecordFile).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return CorpusRecord::from_json(util::read_file_text(path, uint64_t(1) << 20), path);
}

}  // namespace acc::data
