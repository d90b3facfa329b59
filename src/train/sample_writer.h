// The trainer's periodic samples: a few validation sources continued by the
// current model (greedy, with the key/value cache), written as
// samples.jsonl (index, source, reference, generated) in the format of
// `accompanist generate`, so `accompanist evaluate` can read them. The tokens
// are those of generate::Generator with greedy sampling and no other rule
// (no grammar mask, bars_within_source and end_with_source off): both decode
// with model::Decoding (train may not use generate, docs/architecture.md),
// on the model's device.
#pragma once

#include <string>
#include <vector>

#include "accompanist/model/musical_time.h"
#include "accompanist/model/transformer.h"
#include "accompanist/train/pair_source.h"

namespace acc::train {

void write_training_samples(model::Seq2SeqTransformer& model, const std::vector<TokenExample>& examples,
                            const std::vector<uint32_t>& indices, const std::string& dir, int max_tokens,
                            const std::string& tokenizer_json, const model::MusicalTime& time);

}  // namespace acc::train
