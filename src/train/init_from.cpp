#include "init_from.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "accompanist/model/checkpoint.h"
#include "accompanist/util/config.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "checkpoint_io.h"

namespace acc::train {

namespace {
constexpr const char* kKey = "train.init_from";
}

std::string model_config_differences(const model::ModelConfig& c, const model::ModelConfig& r) {
  // Keys that a run does not set in its model section, and where they come from.
  const std::map<std::string, std::string> notes = {{"max_len", " (data.max_len)"}, {"vocab_size", " (the corpus's)"}};
  std::string joined;
  for (const util::ConfigDifference& d : util::config_differences(c, r)) {
    const auto note = notes.find(d.key);
    const std::string key = d.key + (note == notes.end() ? "" : note->second);
    joined += joined.empty() ? fmt::format("{} {} (checkpoint) vs {} (this run)", key, d.a, d.b)
                             : fmt::format(", {} {} vs {}", key, d.a, d.b);
  }
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
