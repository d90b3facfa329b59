// accompanist score --checkpoint DIR --corpus corpus.h5 --split valid
// [--limit N] [--logits FILE.h5]: the eval-mode mean loss of a checkpoint over
// a corpus split as JSON on stdout; with --logits, each pair's logits
// (/pair_NNNN/logits [target_len+1, V] float32, /pair_NNNN/source, /pair_NNNN/target).
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/data/corpus.h"
#include "accompanist/model/checkpoint.h"
#include "accompanist/model/score.h"
#include "accompanist/tokenizer/bar_chords.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace {

struct ScoreArgs {
  std::string checkpoint, corpus, split = "valid", logits;
  int64_t limit = 0;
  int64_t batch_size = 16;
  int threads = 0;
};

// The checkpoint's tokenizer (when it has one) must be the corpus's.
void check_tokenizer(const std::string& checkpoint, const acc::data::Corpus& corpus) {
  const std::string path = (std::filesystem::path(checkpoint) / "tokenizer.json").string();
  if (!std::filesystem::exists(path)) return;
  nlohmann::json ours, theirs;
  try {
    ours = nlohmann::json::parse(acc::util::read_file_text(path));
    theirs = nlohmann::json::parse(corpus.tokenizer_json());
  } catch (const nlohmann::json::exception& e) {
    throw acc::Error(path, std::string("bad tokenizer JSON: ") + e.what());
  }
  if (ours != theirs) throw acc::Error(path, "the checkpoint's tokenizer differs from the corpus's " + corpus.path());
}

std::function<int()> setup_score(CLI::App& app) {
  auto* cmd = app.add_subcommand("score", "Mean loss of a checkpoint over a corpus split");
  auto a = std::make_shared<ScoreArgs>();
  cmd->add_option("--checkpoint", a->checkpoint, "Checkpoint directory (with its COMPLETE marker)")->required();
  cmd->add_option("--corpus", a->corpus, "Corpus HDF5 file")->required();
  cmd->add_option("--split", a->split, "Split: train, valid or test")->check(CLI::IsMember({"train", "valid", "test"}));
  cmd->add_option("--limit", a->limit, "Score only the first N pairs (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--logits", a->logits, "Write each pair's logits to this HDF5 file");
  cmd->add_option("--batch-size", a->batch_size, "Pairs per forward pass")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", a->threads, "Torch threads (0 = default)")->check(CLI::NonNegativeNumber);
  return [a]() {
    if (a->threads > 0) at::set_num_threads(a->threads);
    acc::model::require_complete_checkpoint(a->checkpoint);
    acc::model::Seq2SeqTransformer model = acc::model::load_model(a->checkpoint);
    acc::data::Corpus corpus = acc::data::Corpus::open(a->corpus);
    check_tokenizer(a->checkpoint, corpus);
    if (corpus.vocab_size() > model->config().vocab_size)
      throw acc::Error(a->corpus, "vocabulary of " + std::to_string(corpus.vocab_size()) +
                                      " tokens is larger than the model's " +
                                      std::to_string(model->config().vocab_size));
    const acc::data::CorpusSplit& split = corpus.split(a->split);
    size_t n = split.size();
    if (a->limit > 0) n = std::min<size_t>(n, static_cast<size_t>(a->limit));
    if (n == 0) throw acc::Error(a->corpus, "split " + a->split + " has no pairs");

    // The corpus's tokenizer only for a model that needs bars or chords (test
    // corpora may carry a stand-in tokenizer).
    acc::model::ScoreOptions options;
    const bool needs_bars = acc::model::MusicalTime::needs_bars(model->config());
    const auto tokenizer = needs_bars ? acc::tokenizer::Tokenizer::from_json(corpus.tokenizer_json(), a->corpus)
                                      : acc::tokenizer::Tokenizer();
    if (needs_bars) options.time = acc::model::MusicalTime(model->config(), tokenizer.bar_counts());
    std::vector<acc::model::TokenPair> pairs(n);
    for (size_t i = 0; i < n; ++i) {
      auto s = split.source(i);
      auto t = split.target(i);
      pairs[i].source.assign(s.begin(), s.end());
      pairs[i].target.assign(t.begin(), t.end());
      if (options.time.chords())
        pairs[i].source_bar_chords = acc::tokenizer::bar_chord_ids(tokenizer, {s.begin(), s.end()});
    }
    options.batch_size = a->batch_size;
    options.logits_path = a->logits;
    acc::model::ScoreResult r = acc::model::score_pairs(model, pairs, options);

    nlohmann::ordered_json out;
    out["checkpoint"] = a->checkpoint;
    out["corpus"] = a->corpus;
    out["split"] = a->split;
    out["pairs"] = r.pairs;
    out["label_tokens"] = r.label_tokens;
    out["mean_loss"] = r.mean_loss;
    if (!a->logits.empty()) out["logits"] = a->logits;
    std::cout << out.dump() << "\n";
    std::cout.flush();
    return std::cout ? 0 : 1;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(score, setup_score);
