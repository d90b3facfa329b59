// The model part of a checkpoint directory: model.pt (torch::save of the
// module) and model.yaml (its ModelConfig). The trainer adds its own files
// (optimizer state, tokenizer.json, the COMPLETE marker) to the same directory.
#pragma once

#include <torch/serialize.h>

#include <sstream>
#include <string>

#include "accompanist/model/config.h"
#include "accompanist/model/transformer.h"
#include "accompanist/util/file.h"

namespace acc::model {

inline constexpr const char* kModelWeightsFile = "model.pt";
inline constexpr const char* kModelConfigFile = "model.yaml";
inline constexpr const char* kCompleteMarker = "COMPLETE";  // written last by the trainer

// torch::save of value (a module, an optimizer, a tensor) to path, atomically.
// Serialised in memory first: LibTorch's file writer reports a full disk from
// a destructor (std::terminate); util::write_file_atomic throws acc::Error.
template <typename Value>
void save_torch_file(const Value& value, const std::string& path) {
  std::ostringstream bytes;
  torch::save(value, bytes);
  util::write_file_atomic(path, bytes.str());
}

// Creates dir when missing; each file is written atomically.
void save_model(const Seq2SeqTransformer& model, const std::string& dir);

// The config alone (validated). Throws acc::Error("<dir>", ...) when the
// directory or model.yaml is missing or bad.
ModelConfig load_model_config(const std::string& dir);

// Builds the model from model.yaml and loads model.pt, on the CPU whatever
// device it was saved from (move it afterwards); any parameter missing or
// shaped differently from the config is an acc::Error naming it.
Seq2SeqTransformer load_model(const std::string& dir);

// For the apps: throws unless dir is a directory with the COMPLETE marker
// (a checkpoint that was interrupted while being written is never used).
void require_complete_checkpoint(const std::string& dir);

}  // namespace acc::model
