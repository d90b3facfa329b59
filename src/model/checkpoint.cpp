#include "accompanist/model/checkpoint.h"

#include <torch/serialize.h>

#include <filesystem>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace acc::model {

namespace fs = std::filesystem;

namespace {

std::string shape_string(at::IntArrayRef dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// The first line of a c10::Error: the rest is a C++ backtrace.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

void require_file(const std::string& dir, const char* name) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw acc::Error(dir, "checkpoint directory does not exist");
  if (!fs::is_regular_file(fs::path(dir) / name, ec))
    throw acc::Error(dir, std::string("incomplete checkpoint: no ") + name);
}

}  // namespace

void save_model(const Seq2SeqTransformer& model, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw acc::Error(dir, "cannot create the checkpoint directory: " + ec.message());
  acc::util::write_file_atomic((fs::path(dir) / kModelConfigFile).string(), acc::util::dump_config(model->config()));
  save_torch_file(model, (fs::path(dir) / kModelWeightsFile).string());
}

ModelConfig load_model_config(const std::string& dir) {
  require_file(dir, kModelConfigFile);
  ModelConfig config;
  const std::string path = (fs::path(dir) / kModelConfigFile).string();
  acc::util::load_config_file(config, path);
  try {
    config.validate();
  } catch (const acc::Error& e) {
    throw acc::Error(path, e.what());
  }
  return config;
}

Seq2SeqTransformer load_model(const std::string& dir) {
  ModelConfig config = load_model_config(dir);
  require_file(dir, kModelWeightsFile);
  const std::string path = (fs::path(dir) / kModelWeightsFile).string();
  Seq2SeqTransformer model(config);
  // torch::load replaces each tensor with the stored one whatever its shape,
  // so the shapes the config implies are checked afterwards.
  std::vector<std::pair<std::string, std::vector<int64_t>>> want;
  for (const auto& item : model->named_parameters())
    want.emplace_back(item.key(), std::vector<int64_t>(item.value().sizes().begin(), item.value().sizes().end()));
  try {
    // Mapped to the CPU (where the model was just built) whatever device the
    // tensors were saved from: a GPU run's checkpoint loads on a CPU-only
    // machine, and each rank moves the model to its own device afterwards.
    torch::load(model, path, torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    throw acc::Error(path, "cannot load the model: " + first_line(e.what()));
  }
  auto params = model->named_parameters();
  for (const auto& [name, dims] : want) {
    const torch::Tensor* t = params.find(name);
    if (t == nullptr) throw acc::Error(path, name + ": missing");
    if (t->sizes() != at::IntArrayRef(dims))
      throw acc::Error(path,
                       name + ": shape " + shape_string(t->sizes()) + ", but model.yaml implies " + shape_string(dims));
  }
  return model;
}

void require_complete_checkpoint(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw acc::Error(dir, "checkpoint directory does not exist");
  if (!fs::exists(fs::path(dir) / kCompleteMarker, ec))
    throw acc::Error(dir, std::string("incomplete checkpoint: no ") + kCompleteMarker + " marker");
  require_file(dir, kModelConfigFile);
  require_file(dir, kModelWeightsFile);
}

}  // namespace acc::model
