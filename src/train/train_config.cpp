#include "accompanist/train/train_config.h"

#include <set>

#include "accompanist/util/error.h"

namespace acc::train {
namespace {

// Forwards to another visitor but hides some keys (they are derived, not set):
// the reader then reports them as unknown keys, the writer leaves them out.
class HidingVisitor final : public util::ConfigVisitor {
 public:
  HidingVisitor(util::ConfigVisitor& inner, std::set<std::string> hidden) : inner_(inner), hidden_(std::move(hidden)) {}
  void section(const char* key, const std::function<void()>& body) override {
    if (!hide(key)) inner_.section(key, body);
  }
  void optional_section(const char* key, const std::function<void()>& body,
                        const std::function<bool()>& present) override {
    if (!hide(key)) inner_.optional_section(key, body, present);
  }
  void field(const char* key, bool& value) override {
    if (!hide(key)) inner_.field(key, value);
  }
  void field(const char* key, int& value, int64_t min, int64_t max) override {
    if (!hide(key)) inner_.field(key, value, min, max);
  }
  void field(const char* key, int64_t& value, int64_t min, int64_t max) override {
    if (!hide(key)) inner_.field(key, value, min, max);
  }
  void field(const char* key, double& value, double min, double max) override {
    if (!hide(key)) inner_.field(key, value, min, max);
  }
  void field(const char* key, std::string& value, const std::vector<std::string>& choices) override {
    if (!hide(key)) inner_.field(key, value, choices);
  }
  void field(const char* key, std::vector<int>& value) override {
    if (!hide(key)) inner_.field(key, value);
  }
  void field(const char* key, std::vector<double>& value) override {
    if (!hide(key)) inner_.field(key, value);
  }
  void field(const char* key, std::vector<std::string>& value) override {
    if (!hide(key)) inner_.field(key, value);
  }
  void field(const char* key, std::map<std::string, std::vector<int>>& value) override {
    if (!hide(key)) inner_.field(key, value);
  }

 private:
  bool hide(const char* key) const { return hidden_.count(key) > 0; }
  util::ConfigVisitor& inner_;
  std::set<std::string> hidden_;
};

}  // namespace

void DataOptions::visit(util::ConfigVisitor& v) {
  v.field("corpus", corpus);
  v.field("max_len", max_len, 2, 65536);
  v.field("synthetic_len", synthetic_len, 0, 65536);
  v.field("synthetic_vocab", synthetic_vocab, 5, 65536);
  v.field("group_by_length", group_by_length);
  v.field("pad_to_multiple", pad_to_multiple, 1, 4096);
  v.field("prefetch_batches", prefetch_batches, 1, 1024);
  // In JSON only when used: run records and checkpoints of runs without it stay as they were.
  v.optional_section(
      "replay", [&] { replay.visit(v); }, [&] { return !replay.corpus.empty(); });
}

void ReplayOptions::visit(util::ConfigVisitor& v) {
  v.field("corpus", corpus);
  v.field("fraction", fraction, 0.0, 0.99);
}

void TrainOptions::visit(util::ConfigVisitor& v) {
  v.field("batch_size", batch_size, 1);
  v.field("max_tokens", max_tokens, 0);
  v.field("accumulation", accumulation, 1, 1 << 16);
  v.field("max_steps", max_steps, 0);
  v.field("optimizer", optimizer, {"adam", "adamw"});
  v.field("lr", lr, 0.0, 10.0);
  v.field("beta1", beta1, 0.0, 0.999999);
  v.field("beta2", beta2, 0.0, 0.999999999);
  v.field("eps", eps, 0.0, 1.0);
  v.field("weight_decay", weight_decay, 0.0, 10.0);
  v.field("clip_norm", clip_norm, 0.0);
  v.field("schedule", schedule, {"constant", "cosine", "inverse_sqrt"});
  v.field("warmup_steps", warmup_steps, 0);
  v.field("min_lr_ratio", min_lr_ratio, 0.0, 1.0);
  int64_t seed_value = int64_t(seed);
  v.field("seed", seed_value, 0);
  seed = uint64_t(seed_value);
  v.field("log_every", log_every, 1);
  v.field("valid_every", valid_every, 0);
  v.field("valid_batches", valid_batches, 1);
  v.field("checkpoint_every", checkpoint_every, 0);
  v.field("keep_last", keep_last, 1);
  v.field("sample_every", sample_every, 0);
  v.field("sample_count", sample_count, 1, 1000);
  v.field("sample_max_tokens", sample_max_tokens, 1, 65536);
  v.field("max_bad_steps", max_bad_steps, 1);
  v.field("threads", threads, 0, 4096);
  v.field("precision", precision, {"auto", "fp32", "bf16"});
  v.field("check_replicas_every", check_replicas_every, 0);
  v.field("peak_tflops", peak_tflops, 0.0);
  v.field("init_from", init_from);
}

void TrainConfig::visit(util::ConfigVisitor& v) {
  v.section("data", [&] { data.visit(v); });
  v.section("model", [&] {
    HidingVisitor hiding(v, {"vocab_size", "max_len"});
    model.visit(hiding);
  });
  v.section("train", [&] { train.visit(v); });
  v.section("dist", [&] { dist.visit(v); });
}

void TrainConfig::validate() const {
  if (data.corpus.empty() && data.synthetic_len == 0)
    throw Error("config", "data.corpus: a corpus is required (or data.synthetic_len > 0)");
  if (!data.replay.corpus.empty() && data.synthetic_len > 0)
    throw Error("config", "data.replay.corpus: replay needs a corpus, not synthetic data (data.synthetic_len > 0)");
  if (!data.replay.corpus.empty() && data.replay.fraction <= 0)
    throw Error("config", "data.replay.fraction: must be > 0 when data.replay.corpus is set");
  if (train.weight_decay > 0 && train.optimizer != "adamw")
    throw Error("config", "train.weight_decay needs train.optimizer: adamw");
  if (train.max_tokens > 0 && train.max_tokens < data.max_len)
    throw Error("config", "train.max_tokens: " + std::to_string(train.max_tokens) + " is less than data.max_len " +
                              std::to_string(data.max_len) + " (a longest example must fit in one batch)");
  model::ModelConfig m = model;
  m.max_len = data.max_len;
  m.validate();
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  TrainConfig cfg;
  util::load_config_file(cfg, path, overrides);
  cfg.validate();
  return cfg;
}

}  // namespace acc::train
