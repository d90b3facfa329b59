#include "sample_writer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "accompanist/model/batch.h"
#include "accompanist/model/config.h"
#include "accompanist/model/decoding.h"
#include "accompanist/model/precision.h"
#include "accompanist/tokenizer/vocabulary.h"
#include "accompanist/util/file.h"

namespace acc::train {
namespace {

// The most likely id, ties to the smaller one, never PAD, BOS or MASK: what
// generate::Sampler picks with temperature 0 from the ids a Generator allows.
int64_t greedy_token(const float* logits, int64_t vocab) {
  int64_t best = model::kEos;
  float best_logit = -std::numeric_limits<float>::infinity();
  for (int64_t id = 0; id < vocab; ++id) {
    if (id == tokenizer::kPad || id == tokenizer::kBos || id == tokenizer::kMask) continue;
    if (logits[id] > best_logit) {
      best = id;
      best_logit = logits[id];
    }
  }
  return best;
}

}  // namespace

void write_training_samples(model::Seq2SeqTransformer& model, const std::vector<TokenExample>& examples,
                            const std::vector<uint32_t>& indices, const std::string& dir, int max_tokens,
                            const std::string& tokenizer_json, const model::MusicalTime& time) {
  if (examples.empty()) return;
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<std::vector<int64_t>> sources, targets;
  model::BarChords chords;
  for (const auto& ex : examples) {
    sources.push_back(ex.source);
    targets.push_back(ex.target);
    chords.push_back(ex.source_bar_chords);
  }
  const model::ModelConfig& config = model->config();
  const model::Batch batch = model::make_batch(sources, targets, config.max_len, config.vocab_size, time, chords);
  // The precision `accompanist generate` decodes in by default, so that the
  // samples preview it (train.precision is the training step's).
  model::Decoding decoding(model, time, batch, time.chords() ? chords : model::BarChords(),
                           {std::min<int64_t>(max_tokens, config.max_len), true, model::default_inference_precision()});
  const std::vector<model::Decoding::Row> generated =
      decoding.run([&](int64_t, int64_t, const float* logits, const model::MusicalTime::Clock&) {
        return greedy_token(logits, config.vocab_size);
      });
  if (was_training) model->train();

  std::filesystem::create_directories(dir);
  std::string lines;
  for (size_t i = 0; i < examples.size(); ++i) {
    nlohmann::json j = {{"index", indices[i]},
                        {"source", examples[i].source},
                        {"reference", examples[i].target},
                        {"generated", generated[i].tokens}};
    lines += j.dump() + "\n";
  }
  util::write_file_atomic(dir + "/samples.jsonl", lines);
  if (!tokenizer_json.empty()) util::write_file_atomic(dir + "/tokenizer.json", tokenizer_json);
  spdlog::info("samples: {}", dir);
}

}  // namespace acc::train
