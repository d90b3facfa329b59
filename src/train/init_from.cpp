#include "init_from.h"

#include <fmt/format.h>

#include <filesystem>
#include <vector>

#include "accompanist/model/checkpoint.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "checkpoint_io.h"

namespace acc::train {

namespace {
constexpr const char* kKey = "train.init_from";
}

std::string model_config_differences(const model::ModelConfig& c, const model::ModelConfig& r) {
  std::vector<std::string> out;
  auto compare = [&](const char* key, auto checkpoint, auto run) {
    if (checkpoint == run) return;
    out.push_back(out.empty() ? fmt::format("{} {} (checkpoint) vs {} (this run)", key, checkpoint, run)
                              : fmt::format("{} {} vs {}", key, checkpoint, run));
  };
  compare("d_model", c.d_model, r.d_model);
  compare("enc_layers", c.enc_layers, r.enc_layers);
  compare("dec_layers", c.dec_layers, r.dec_layers);
  compare("heads", c.heads, r.heads);
  compare("ff", c.ff, r.ff);
  compare("dropout", c.dropout, r.dropout);
  compare("max_len (data.max_len)", c.max_len, r.max_len);
  compare("max_relative_distance", c.max_relative_distance, r.max_relative_distance);
  compare("vocab_size (the corpus's)", c.vocab_size, r.vocab_size);
  const model::BarAlignment &a = c.bar_alignment, &b = r.bar_alignment;
  compare("bar_alignment.embeddings", a.embeddings, b.embeddings);
  compare("bar_alignment.max_bars", a.max_bars, b.max_bars);
  compare("bar_alignment.window", a.window, b.window);
  compare("bar_alignment.window_before", a.window_before, b.window_before);
  compare("bar_alignment.window_after", a.window_after, b.window_after);
  compare("bar_alignment.bias", a.bias, b.bias);
  compare("bar_alignment.bias_distance", a.bias_distance, b.bias_distance);
  std::string joined;
  for (const std::string& d : out) joined += (joined.empty() ? "" : ", ") + d;
  return joined;
}

InitCheckpoint load_init_checkpoint(const std::string& dir, const model::ModelConfig& run_model,
                                    const std::string& tokenizer_sha256) {
  InitCheckpoint init;
  init.dir = dir;
  try {
    model::require_complete_checkpoint(dir);
    const std::string state_path = (std::filesystem::path(dir) / "trainer_state.json").string();
    ACC_CHECK(std::filesystem::exists(state_path), dir, "not a training checkpoint (no trainer_state.json)");
    const TrainerState state = state_from_json(util::read_file_text(state_path), state_path);
    init.step = state.step;
    if (state.tokenizer_sha256 != tokenizer_sha256)
      throw Error(dir, fmt::format("trained with another tokenizer than the corpus's (sha256 {} vs {}); prep the "
                                   "corpus with --set bpe.tokenizer=<the pretraining corpus's tokenizer.json>",
                                   state.tokenizer_sha256.substr(0, 12), tokenizer_sha256.substr(0, 12)));
    const std::string differences = model_config_differences(model::load_model_config(dir), run_model);
    if (!differences.empty()) throw Error(dir, "the checkpoint's model differs from this run's: " + differences);
    init.model = model::load_model(dir);
  } catch (const Error& e) {
    throw Error(kKey, e.what());
  }
  return init;
}

}  // namespace acc::train
