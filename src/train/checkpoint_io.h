// Reading and writing the trainer's part of a checkpoint directory (the model
// part is acc::model::save_model): optimizer.pt, trainer_state.json,
// rng-rank-R.pt (every rank's torch generator; cuda-rng-rank-R.pt too on a
// GPU), config.yaml, tokenizer.json.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <string>

#include "accompanist/train/batch_plan.h"

namespace acc::train {

struct TrainerState {
  int64_t step = 0;
  DataPosition position;
  double best_valid_loss = 0;  // valid only when has_best
  bool has_best = false;
  double last_valid_loss = 0;
  bool has_last_valid = false;
  int64_t bad_steps_in_row = 0;
  int64_t skipped_steps = 0;
  int world = 1;
  std::string config_sha256;
  std::string tokenizer_sha256;
};

std::string state_to_json(const TrainerState& s);
TrainerState state_from_json(const std::string& text, const std::string& source);

// rng-rank-R.pt: the CPU generator; cuda-rng-rank-R.pt too when device is a
// GPU (its generator drives dropout there).
void save_rng_state(const std::string& dir, int rank, const torch::Device& device);
// False when the file for this rank is missing (a resume with more ranks).
// The CUDA state is restored on a CUDA device when the checkpoint has it
// (older and CPU checkpoints do not: the generator is left as it is).
bool load_rng_state(const std::string& dir, int rank, const torch::Device& device);

void save_optimizer(torch::optim::Optimizer& optimizer, const std::string& dir);
// Loads onto the device of the optimizer's parameters, whatever device the
// state was saved from.
void load_optimizer(torch::optim::Optimizer& optimizer, const std::string& dir);

}  // namespace acc::train
