#include "training_data.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"

namespace acc::train {
namespace {

constexpr size_t kSyntheticExamples = size_t(1) << 20;
constexpr size_t kSyntheticValidExamples = 4096;

void open_synthetic(const TrainConfig& cfg, TrainingData& d) {
  d.vocab_size = cfg.data.synthetic_vocab;
  d.train = synthetic_pairs(kSyntheticExamples, cfg.data.synthetic_len, d.vocab_size, cfg.train.seed);
  d.valid = synthetic_pairs(kSyntheticValidExamples, cfg.data.synthetic_len, d.vocab_size, cfg.train.seed + 1);
  d.time = model::MusicalTime(cfg.model, tokenizer::Tokenizer().bar_counts());  // random ids: only the base Bar counts
  if (d.time.chords()) {
    d.train = with_bar_chords(std::move(d.train), tokenizer::Tokenizer());
    d.valid = with_bar_chords(std::move(d.valid), tokenizer::Tokenizer());
  }
}

// data.replay: the other corpus's training pairs join data.corpus's (validation
// stays on data.corpus). Same tokenizer and direction, or the ids mean other things.
void add_replay_pairs(const TrainConfig& cfg, TrainingData& d, bool describe) {
  const std::string& path = cfg.data.replay.corpus;
  d.replay_corpus = std::make_unique<const data::Corpus>(data::Corpus::open(path));
  if (d.replay_corpus->tokenizer_sha256() != d.tokenizer_sha256)
    throw Error("data.replay.corpus", path +
                                          ": its tokenizer is not data.corpus's (prep one of them with --set "
                                          "bpe.tokenizer=<the other's tokenizer.json>)");
  if (d.replay_corpus->direction() != d.corpus->direction())
    throw Error("data.replay.corpus",
                path + ": direction " + d.replay_corpus->direction() + ", data.corpus has " + d.corpus->direction());
  const data::CorpusSplit& split = d.replay_corpus->split("train");
  const size_t main_size = d.train->size();
  const size_t n = replay_count(main_size, cfg.data.replay.fraction, split.size());
  d.train = mixed_pairs(std::move(d.train), corpus_pairs(split), n, cfg.train.seed);
  if (describe)
    spdlog::info("replay {}: {} of its {} train pairs join the {} of data.corpus ({:.0f}% of each epoch)", path, n,
                 split.size(), main_size, 100.0 * double(n) / double(std::max<size_t>(1, n + main_size)));
}

}  // namespace

TrainingData open_training_data(const TrainConfig& cfg, bool describe) {
  TrainingData d;
  if (cfg.data.synthetic_len > 0) {
    open_synthetic(cfg, d);
    return d;
  }
  d.corpus = std::make_unique<const data::Corpus>(data::Corpus::open(cfg.data.corpus));
  d.vocab_size = d.corpus->vocab_size();
  d.tokenizer_sha256 = d.corpus->tokenizer_sha256();
  const auto tokenizer = tokenizer::Tokenizer::from_json(d.corpus->tokenizer_json(), cfg.data.corpus);
  d.time = model::MusicalTime(cfg.model, tokenizer.bar_counts());
  d.train = corpus_pairs(d.corpus->split("train"));
  d.valid = corpus_pairs(d.corpus->split("valid"));
  if (!cfg.data.replay.corpus.empty()) add_replay_pairs(cfg, d, describe);
  if (d.time.chords()) {
    d.train = with_bar_chords(std::move(d.train), tokenizer);
    d.valid = with_bar_chords(std::move(d.valid), tokenizer);
  }
  if (describe) {
    spdlog::info("corpus {}: {} train pairs, {} valid pairs, vocabulary {}, {}", cfg.data.corpus, d.train->size(),
                 d.valid->size(), d.vocab_size, d.corpus->direction());
    d.record = data::describe_corpus(*d.corpus);
    const data::TargetStatistics& t = d.record->target;
    spdlog::info("train targets: {} notes at {} onsets ({})", t.notes, t.onsets,
                 t.onsets > 0 ? fmt::format("{:.3f} notes per onset", t.notes_per_onset()) : "no onsets");
  }
  return d;
}

}  // namespace acc::train
