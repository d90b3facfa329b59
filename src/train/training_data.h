// What a run trains and validates on: data.corpus's pairs (with data.replay's
// mixed into the training split), or synthetic tokens; and what the model and
// the checkpoints need to know about those tokens. No LibTorch here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_record.h"
#include "accompanist/model/musical_time.h"
#include "accompanist/train/pair_source.h"
#include "accompanist/train/train_config.h"

namespace acc::train {

struct TrainingData {
  // Held by pointer: the pair sources view their splits.
  std::unique_ptr<const data::Corpus> corpus;         // none for synthetic data
  std::unique_ptr<const data::Corpus> replay_corpus;  // data.replay
  std::unique_ptr<PairSource> train, valid;
  int vocab_size = 0;
  std::string tokenizer_sha256;
  model::MusicalTime time;                   // bars and chords, as the model reads them
  std::optional<data::CorpusRecord> record;  // with describe: generate's defaults come from it

  std::string tokenizer_json() const { return corpus ? corpus->tokenizer_json() : std::string(); }
};

// Opens and checks the data of `cfg` (a replay corpus must share the
// tokenizer and direction). describe: also log the corpus and compute its
// record (rank 0).
TrainingData open_training_data(const TrainConfig& cfg, bool describe);

}  // namespace acc::train
