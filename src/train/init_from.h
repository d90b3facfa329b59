// train.init_from: a fresh run that starts from the weights of another run's
// checkpoint (pretrain, then fine-tune), as fairseq's --restore-file with
// --reset-optimizer --reset-lr-scheduler --reset-dataloader: the optimizer,
// the learning-rate schedule, the step count and the data order start anew.
// Only the weights are taken, so the checkpoint must hold the same model
// (model.yaml) and have been trained with the same tokenizer as this run's
// corpus (prep the fine-tuning corpus with --set bpe.tokenizer=PRETRAIN_TOKENIZER.json).
#pragma once

#include <string>

#include "accompanist/model/config.h"
#include "accompanist/model/transformer.h"

namespace acc::train {

struct InitCheckpoint {
  std::string dir;
  int64_t step = 0;  // the step it was saved at
  model::Seq2SeqTransformer model{nullptr};
};

// Every rank calls it, so a bad checkpoint stops every rank with the same
// error (no collective waits for a rank that failed). Throws
// acc::Error("train.init_from", why) when dir is not a complete checkpoint,
// its model differs from `run_model` or its tokenizer from tokenizer_sha256.
InitCheckpoint load_init_checkpoint(const std::string& dir, const model::ModelConfig& run_model,
                                    const std::string& tokenizer_sha256);

// "d_model 64 (checkpoint) vs 32 (this run), heads 4 vs 2": the keys of
// ModelConfig::visit() that differ (acc::util::config_differences), "" when none does.
std::string model_config_differences(const model::ModelConfig& checkpoint, const model::ModelConfig& run);

}  // namespace acc::train
