// The trainer's periodic samples: a few validation sources continued by the
// current model (greedy, with the key/value cache), written as
// samples.jsonl (index, source, reference, generated) in the format of
// `accompanist generate`, so `accompanist evaluate` can read them.
#pragma once

#include <string>
#include <vector>

#include "accompanist/model/transformer.h"
#include "accompanist/train/pair_source.h"

namespace acc::train {

void write_training_samples(model::Seq2SeqTransformer& model, const std::vector<TokenExample>& examples,
                            const std::vector<uint32_t>& indices, const std::string& dir, int max_tokens,
                            const torch::Device& device, const std::string& tokenizer_json,
                            const std::vector<int32_t>& bar_counts);

}  // namespace acc::train
