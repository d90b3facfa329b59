#include "checkpoint_io.h"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <torch/serialize.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "accompanist/model/checkpoint.h"
#include "accompanist/util/error.h"

namespace fs = std::filesystem;

namespace acc::train {

std::string state_to_json(const TrainerState& s) {
  nlohmann::json j = {{"step", s.step},
                      {"epoch", s.position.epoch},
                      {"cursor", s.position.cursor},
                      {"has_best", s.has_best},
                      {"best_valid_loss", s.best_valid_loss},
                      {"has_last_valid", s.has_last_valid},
                      {"last_valid_loss", s.last_valid_loss},
                      {"bad_steps_in_row", s.bad_steps_in_row},
                      {"skipped_steps", s.skipped_steps},
                      {"world", s.world},
                      {"config_sha256", s.config_sha256},
                      {"tokenizer_sha256", s.tokenizer_sha256}};
  return j.dump(2) + "\n";
}

TrainerState state_from_json(const std::string& text, const std::string& source) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(source, "not a JSON object");
  TrainerState s;
  try {
    s.step = j.at("step").get<int64_t>();
    s.position.epoch = j.at("epoch").get<int64_t>();
    s.position.cursor = j.at("cursor").get<int64_t>();
    s.has_best = j.at("has_best").get<bool>();
    s.best_valid_loss = j.at("best_valid_loss").get<double>();
    s.has_last_valid = j.at("has_last_valid").get<bool>();
    s.last_valid_loss = j.at("last_valid_loss").get<double>();
    s.bad_steps_in_row = j.at("bad_steps_in_row").get<int64_t>();
    s.skipped_steps = j.at("skipped_steps").get<int64_t>();
    s.world = j.at("world").get<int>();
    s.config_sha256 = j.at("config_sha256").get<std::string>();
    s.tokenizer_sha256 = j.at("tokenizer_sha256").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(source, std::string("bad trainer state: ") + e.what());
  }
  return s;
}

namespace {
std::string rng_file(const std::string& dir, int rank) {
  return (fs::path(dir) / ("rng-rank-" + std::to_string(rank) + ".pt")).string();
}
std::string cuda_rng_file(const std::string& dir, int rank) {
  return (fs::path(dir) / ("cuda-rng-rank-" + std::to_string(rank) + ".pt")).string();
}

// The generator's state as a (CPU) byte tensor. The CUDA generator is reached
// through ATen's device-generic context, so no CUDA header is needed here; it
// is only asked for on a CUDA device.
torch::Tensor generator_state(const at::Device& device) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const at::Device& device, const torch::Tensor& state) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

torch::Tensor load_tensor(const std::string& path) {
  torch::Tensor t;
  try {
    torch::load(t, path, torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw Error(path, "cannot load the generator state (" + what.substr(0, what.find('\n')) + ")");
  }
  return t;
}
}  // namespace

void save_rng_state(const std::string& dir, int rank, const torch::Device& device) {
  model::save_torch_file(generator_state(at::Device(at::kCPU)), rng_file(dir, rank));
  // Dropout on a GPU draws from the device's generator: without its state a
  // resumed run's masks would differ from an uninterrupted run's.
  if (device.is_cuda()) model::save_torch_file(generator_state(device), cuda_rng_file(dir, rank));
}

bool load_rng_state(const std::string& dir, int rank, const torch::Device& device) {
  const std::string path = rng_file(dir, rank);
  if (!fs::exists(path)) return false;
  set_generator_state(at::Device(at::kCPU), load_tensor(path));
  // Absent in CPU runs' and older checkpoints: the device generator keeps its
  // state. On the CPU a GPU run's CUDA state has no use.
  const std::string cuda_path = cuda_rng_file(dir, rank);
  if (device.is_cuda() && fs::exists(cuda_path)) set_generator_state(device, load_tensor(cuda_path));
  return true;
}

void save_optimizer(torch::optim::Optimizer& optimizer, const std::string& dir) {
  model::save_torch_file(optimizer, (fs::path(dir) / "optimizer.pt").string());
}

void load_optimizer(torch::optim::Optimizer& optimizer, const std::string& dir) {
  const std::string path = (fs::path(dir) / "optimizer.pt").string();
  if (!fs::exists(path)) throw Error(dir, "checkpoint has no optimizer.pt");
  // The state goes where the parameters are (this rank's device), not where
  // rank 0 saved it from: without a map location every rank of a multi-GPU
  // resume would put its moments on rank 0's GPU, and a GPU checkpoint could
  // not be read on a CPU-only machine.
  torch::Device device(torch::kCPU);
  for (const auto& group : optimizer.param_groups()) {
    if (!group.params().empty()) {
      device = group.params().front().device();
      break;
    }
  }
  try {
    torch::load(optimizer, path, device);
  } catch (const c10::Error& e) {
    throw Error(path, "cannot load the optimizer state (" + std::string(e.what_without_backtrace()) + ")");
  }
}

}  // namespace acc::train
