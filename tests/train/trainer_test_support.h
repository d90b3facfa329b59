// Shared pieces of the trainer's process-level tests: temporary run dirs,
// small corpora written with the corpus writer, command lines, and reading
// checkpoints and metrics back.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/data/corpus_writer.h"
#include "accompanist/model/checkpoint.h"
#include "common/scratch_dir.h"
#include "common/subprocess.h"

namespace acc::testing {

namespace fs = std::filesystem;

inline std::string tokenizer_json(int extra_merges) {
  nlohmann::json merges = nlohmann::json::array();
  for (int i = 0; i < extra_merges; ++i) merges.push_back({5 + i, 93});
  nlohmann::json j = {{"format", "accompanist-tokenizer"},
                      {"version", 1},
                      {"base", "remi-miditok-2.1"},
                      {"vocab_size", 197 + extra_merges},
                      {"merges", merges}};
  return j.dump();
}

// A learnable corpus: the target is a fixed token-by-token map of the source.
inline std::string write_copy_corpus(const std::string& dir, int extra_merges = 0, int train_pairs = 160,
                                     int valid_pairs = 24) {
  const std::string path = dir + "/corpus.h5";
  data::CorpusWriter writer(path, {tokenizer_json(extra_merges), "piano->bass", "window_beats: 96\n"});
  std::mt19937 rng(5);
  auto add = [&](const std::string& split, int count) {
    for (int i = 0; i < count; ++i) {
      const int len = 6 + int(rng() % 20);
      std::vector<int> source, target;
      for (int k = 0; k < len; ++k) {
        // Skewed, so that even a tiny model quickly beats the uniform loss.
        const int tok = 4 + int((rng() % 40) * (rng() % 40) / 40);
        source.push_back(tok);
        target.push_back(4 + (tok - 4) * 7 % 40);
      }
      writer.add(split, source, target, uint32_t(i), 0);
    }
  };
  add("train", train_pairs);
  add("valid", valid_pairs);
  add("test", 8);
  std::vector<std::string> songs;
  for (int i = 0; i < std::max(train_pairs, valid_pairs); ++i) songs.push_back("song" + std::to_string(i) + ".mid");
  writer.set_songs(songs);
  writer.commit();
  return path;
}

inline std::string train_binary() {
  return std::string(ACC_BINARY_DIR) + "/bin/accompanist-train";
}
inline std::string tiny_config() {
  return std::string(ACC_SOURCE_DIR) + "/configs/train/tiny.yaml";
}
inline std::string mpirun2() {
  return std::string(ACC_MPIEXEC) + " -n 2 --oversubscribe --allow-run-as-root --bind-to none";
}

inline std::string train_command(const std::string& run_dir, const std::string& sets) {
  return train_binary() + " --config " + tiny_config() + " --run-dir " + run_dir + " " + sets;
}

// metrics.jsonl lines of one split, as (step, loss).
inline std::vector<std::pair<int64_t, double>> losses(const std::string& run_dir, const std::string& split) {
  std::vector<std::pair<int64_t, double>> out;
  std::istringstream in(read_text(run_dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["split"] == split) out.emplace_back(j["step"].get<int64_t>(), j["loss"].get<double>());
  }
  return out;
}

// The same while a run is writing the file (a torn last line is skipped).
inline std::vector<std::pair<int64_t, double>> losses_or_empty(const std::string& run_dir) {
  std::vector<std::pair<int64_t, double>> out;
  std::istringstream in(read_text(run_dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("split", "") == "train")
      out.emplace_back(j["step"].get<int64_t>(), j["loss"].get<double>());
  }
  return out;
}

inline std::map<std::string, torch::Tensor> parameters_of(const std::string& checkpoint) {
  auto model = model::load_model(checkpoint);
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

inline double max_parameter_difference(const std::string& a, const std::string& b) {
  auto pa = parameters_of(a), pb = parameters_of(b);
  EXPECT_EQ(pa.size(), pb.size());
  double diff = 0;
  for (auto& [name, t] : pa) diff = std::max(diff, (t - pb.at(name)).abs().max().item<double>());
  return diff;
}

}  // namespace acc::testing
