// corpus.json in a checkpoint directory: what the model was trained on, the
// corpus's direction ("piano->bass") and how its target part plays over the
// train split, so that `accompanist generate` can take its defaults from the
// checkpoint (no --direction; one note per onset for a bass line that plays
// one note at a time). The trainer writes it into every checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "accompanist/tokenizer/bpe.h"

namespace acc::data {

class Corpus;
class CorpusSplit;

inline constexpr const char* kCorpusRecordFile = "corpus.json";

struct TargetStatistics {
  int64_t notes = 0;   // Pitch tokens in the targets' base expansion
  int64_t onsets = 0;  // Position tokens: each opens the notes of one onset
  // 0 when there is no onset.
  double notes_per_onset() const { return onsets > 0 ? double(notes) / double(onsets) : 0.0; }
};

struct CorpusRecord {
  std::string direction;  // "piano->bass"
  std::string corpus;     // the file it was read from (informative)
  std::string tokenizer_sha256;
  int64_t train_pairs = 0;
  TargetStatistics target;  // over the train split
  // The corpus's prep config (YAML): `generate --midi` without a corpus cuts
  // a song into the windows the model was trained on. Empty in older records.
  std::string prep_config;

  std::string to_json() const;
  // Throws acc::Error(source, why) when the text is not such a record.
  static CorpusRecord from_json(const std::string& text, const std::string& source);
};

// Counts over every target of the split; a BPE id counts through its base
// expansion (a per-id table, so one lookup per token).
TargetStatistics measure_targets(const CorpusSplit& split, const tokenizer::Bpe& bpe);

// The record of a corpus: its direction, tokenizer and train split statistics.
CorpusRecord describe_corpus(const Corpus& corpus);

// The record in a checkpoint directory; nullopt when there is none (written
// before records existed). A malformed file is an acc::Error naming it.
std::optional<CorpusRecord> read_corpus_record(const std::string& checkpoint_dir);

}  // namespace acc::data
