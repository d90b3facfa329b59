// Scoring (`accompanist score`): the eval-mode mean loss of a model over
// (source, target) pairs, optionally with each pair's logits written to HDF5
// as /pair_NNNN/logits [min(target_len+1, max_len), V] float32 plus
// /pair_NNNN/source and /pair_NNNN/target (uint16 token ids, as given).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/model/musical_time.h"
#include "accompanist/model/transformer.h"

namespace acc::model {

struct TokenPair {
  std::vector<int64_t> source;
  std::vector<int64_t> target;
  // The chord id of every source bar (tokenizer::bar_chord_ids): needed by a
  // model with chord conditioning.
  std::vector<int32_t> source_bar_chords;
};

struct ScoreOptions {
  int64_t batch_size = 16;
  std::string logits_path;  // empty: no logits file
  // Musical time (from Tokenizer::bar_counts()): needed by a model that reads bars.
  MusicalTime time;
};

struct ScoreResult {
  double mean_loss = 0.0;  // cross entropy per label token, over all pairs
  int64_t pairs = 0;
  int64_t label_tokens = 0;
};

// Runs in eval mode without gradients (the model's mode is restored after).
// The loss is token-weighted: the sum over every label of every pair divided
// by the number of labels, so it does not depend on batch_size.
ScoreResult score_pairs(Seq2SeqTransformer& model, const std::vector<TokenPair>& pairs, const ScoreOptions& options);

}  // namespace acc::model
