#include "accompanist/model/score.h"

#include <cstdio>
#include <optional>

#include "accompanist/model/batch.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/hdf5.h"

namespace acc::model {

namespace {

std::vector<uint16_t> narrow_tokens(const std::vector<int64_t>& tokens) {
  std::vector<uint16_t> out(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) out[i] = static_cast<uint16_t>(tokens[i]);
  return out;
}

std::string pair_name(size_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "pair_%04zu", index);
  return name;
}

// Puts the model in eval mode for its lifetime.
class EvalMode {
 public:
  explicit EvalMode(Seq2SeqTransformer& model) : model_(model), was_training_(model->is_training()) { model_->eval(); }
  ~EvalMode() { model_->train(was_training_); }

 private:
  Seq2SeqTransformer& model_;
  bool was_training_;
};

}  // namespace

ScoreResult score_pairs(Seq2SeqTransformer& model, const std::vector<TokenPair>& pairs, const ScoreOptions& options) {
  ACC_CHECK(options.batch_size >= 1, "score", "batch size must be positive");
  const ModelConfig& config = model->config();
  EvalMode eval(model);
  torch::NoGradGuard no_grad;

  std::optional<acc::util::AtomicPath> out_path;
  std::optional<acc::util::h5::File> out;
  if (!options.logits_path.empty()) {
    out_path.emplace(options.logits_path);
    out.emplace(acc::util::h5::File::create(out_path->temp_path()));
  }

  double loss_sum = 0.0;
  ScoreResult result;
  const torch::Device device = model->out_proj->weight.device();
  for (size_t start = 0; start < pairs.size(); start += options.batch_size) {
    const size_t end = std::min(pairs.size(), start + static_cast<size_t>(options.batch_size));
    std::vector<std::vector<int64_t>> sources, targets;
    BarChords chords;
    for (size_t i = start; i < end; ++i) {
      sources.push_back(pairs[i].source);
      targets.push_back(pairs[i].target);
      chords.push_back(pairs[i].source_bar_chords);
    }
    Batch batch;
    try {
      batch = make_batch(sources, targets, config.max_len, config.vocab_size, options.time, chords);
    } catch (const acc::Error& e) {
      throw acc::Error("score: pairs " + std::to_string(start) + ".." + std::to_string(end - 1), e.what());
    }
    torch::Tensor labels = batch.labels.to(device);
    const BarIndices bars = batch_bar_indices(batch, device);
    torch::Tensor logits = model(batch.source.to(device), batch.decoder_input.to(device), bars);  // [B, T, V]
    loss_sum += sequence_loss_sum(logits, labels).item<double>();
    result.label_tokens += batch.label_tokens;
    result.pairs += static_cast<int64_t>(end - start);

    if (out) {
      torch::Tensor cpu = logits.to(torch::kCPU, torch::kFloat).contiguous();
      auto root = out->root();
      for (size_t i = start; i < end; ++i) {
        const int64_t b = static_cast<int64_t>(i - start);
        const int64_t n = std::min<int64_t>(pairs[i].target.size() + 1, config.max_len);
        torch::Tensor rows = cpu[b].narrow(0, 0, n).contiguous();  // [n, V]
        auto group = root.create_group(pair_name(i));
        group.write_raw("logits", acc::util::h5::native_type<float>(),
                        {static_cast<uint64_t>(n), static_cast<uint64_t>(config.vocab_size)}, rows.data_ptr<float>());
        group.write("source", narrow_tokens(pairs[i].source));
        group.write("target", narrow_tokens(pairs[i].target));
      }
    }
  }
  result.mean_loss = result.label_tokens > 0 ? loss_sum / static_cast<double>(result.label_tokens) : 0.0;
  if (out) {
    out->root().set_attr("mean_loss", std::to_string(result.mean_loss));
    out->root().set_attr("config", config.to_json());
    out->close();
    out_path->commit();
  }
  return result;
}

}  // namespace acc::model
