#include "sample_writer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "accompanist/model/bar_alignment.h"
#include "accompanist/model/batch.h"
#include "accompanist/model/config.h"
#include "accompanist/model/decoding.h"
#include "accompanist/model/precision.h"
#include "accompanist/util/file.h"

namespace acc::train {

void write_training_samples(model::Seq2SeqTransformer& model, const std::vector<TokenExample>& examples,
                            const std::vector<uint32_t>& indices, const std::string& dir, int max_tokens,
                            const torch::Device& device, const std::string& tokenizer_json,
                            const std::vector<int32_t>& bar_counts) {
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
  const int64_t max_len = model->config().max_len;
  const bool chorded = model->config().chord_conditioning.enabled();
  model::Batch batch = model::make_batch(sources, targets, max_len, model->config().vocab_size, &bar_counts,
                                         chorded ? &chords : nullptr);
  const int64_t steps = std::min<int64_t>(max_tokens, max_len);
  const bool bars = batch.source_bars.defined();
  // The precision `accompanist generate` decodes in by default, so that the
  // samples preview it (train.precision is the training step's).
  model::IncrementalDecoder decoder(
      model, batch.source.to(device), steps, bars ? batch.source_bars.to(device) : torch::Tensor(),
      chorded ? batch.source_chords.to(device) : torch::Tensor(), model::default_inference_precision());
  const int64_t n = int64_t(examples.size());
  std::vector<std::vector<int64_t>> generated(static_cast<size_t>(n));
  std::vector<bool> done(static_cast<size_t>(n), false);
  torch::Tensor tokens = torch::full({n}, model::kBos, torch::dtype(torch::kInt64).device(device));
  std::vector<int64_t> bars_seen(size_t(n), 0), bar(size_t(n), 0);  // musical time of each row's last input
  for (int64_t t = 0; t < steps; ++t) {
    torch::Tensor step_bars = bars ? torch::tensor(bar, torch::kInt64).to(device) : torch::Tensor();
    torch::Tensor step_chords;
    if (chorded) {
      std::vector<int64_t> c(size_t(n), 0);
      for (int64_t i = 0; i < n; ++i) c[size_t(i)] = model::chord_of_bar(chords[size_t(i)], bar[size_t(i)]);
      step_chords = torch::tensor(c, torch::kInt64).to(device);
    }
    torch::Tensor next = decoder.step(tokens, step_bars, step_chords).argmax(-1);  // [B]
    torch::Tensor host = next.to(torch::kCPU);
    bool all_done = true;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t id = host[i].item<int64_t>();
      if (!done[size_t(i)]) {
        if (id == model::kEos || id == model::kPad)
          done[size_t(i)] = true;
        else
          generated[size_t(i)].push_back(id);
      }
      bar[size_t(i)] = model::next_bar_index(bars_seen[size_t(i)], id, bar_counts);
      all_done = all_done && done[size_t(i)];
    }
    if (all_done) break;
    tokens = next;
  }
  if (was_training) model->train();

  std::filesystem::create_directories(dir);
  std::string lines;
  for (int64_t i = 0; i < n; ++i) {
    nlohmann::json j = {{"index", indices[size_t(i)]},
                        {"source", examples[size_t(i)].source},
                        {"reference", examples[size_t(i)].target},
                        {"generated", generated[size_t(i)]}};
    lines += j.dump() + "\n";
  }
  util::write_file_atomic(dir + "/samples.jsonl", lines);
  if (!tokenizer_json.empty()) util::write_file_atomic(dir + "/tokenizer.json", tokenizer_json);
  spdlog::info("samples: {}", dir);
}

}  // namespace acc::train
