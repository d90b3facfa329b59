// The trainer's checkpoint files on any device: a checkpoint saved on a GPU
// loads on the CPU (map location), the generator states round-trip, and older
// checkpoints (no CUDA generator state) still load.
//
// No GPU is needed: a file saved on the CPU is rewritten so that its tensors
// say they were saved from cuda:0 (the storage location string in the pickle),
// which is what a GPU run's checkpoint holds.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "accompanist/model/checkpoint.h"
#include "accompanist/model/transformer.h"
#include "accompanist/util/error.h"
#include "model/model_test_util.h"
#include "train/checkpoint_io.h"
#include "train/init_from.h"

namespace acc::train {
namespace {

namespace fs = std::filesystem;
using model::testing::ScratchDir;

// Rewrites every storage location "cpu" in the pickles of a torch::save file
// to "cuda:0". LibTorch's pickler writes each string once as BINUNICODE
// ('X', uint32 length) and refers to it by memo afterwards. Returns how many
// records were rewritten.
int relocate_to_cuda(const std::string& path) {
  const std::string from = std::string("X\x03\x00\x00\x00", 5) + "cpu";
  const std::string to = std::string("X\x06\x00\x00\x00", 5) + "cuda:0";
  std::vector<std::pair<std::string, std::string>> records;
  int rewritten = 0;
  {
    caffe2::serialize::PyTorchStreamReader reader(path);
    for (const std::string& name : reader.getAllRecords()) {
      auto [data, size] = reader.getRecord(name);
      std::string bytes(static_cast<const char*>(data.get()), size);
      if (name.size() > 4 && name.substr(name.size() - 4) == ".pkl") {
        for (size_t at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at + to.size())) {
          bytes.replace(at, from.size(), to);
          ++rewritten;
        }
      }
      records.emplace_back(name, std::move(bytes));
    }
  }
  const std::string tmp = path + ".relocated";
  {
    caffe2::serialize::PyTorchStreamWriter writer(tmp);
    for (const auto& [name, bytes] : records) {
      try {
        writer.writeRecord(name, bytes.data(), bytes.size());
      } catch (const c10::Error&) {
        // A record the writer adds itself (version, byte order, ...).
      }
    }
    writer.writeEndOfFile();
  }
  fs::rename(tmp, path);
  return rewritten;
}

// The fixture is only meaningful where CUDA cannot be initialised: there a
// load without a map location must fail.
bool loads_without_map_location(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    return true;
  } catch (const c10::Error&) {
    return false;
  }
}

TEST(CheckpointMapLocation, AGpuModelLoadsOnTheCpu) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible: train_cuda_test covers the real case";
  ScratchDir dir("map-model");
  torch::manual_seed(5);
  model::Seq2SeqTransformer saved(model::testing::tiny_config());
  model::save_model(saved, dir.path());
  const std::string weights = dir.file("model.pt");
  ASSERT_TRUE(loads_without_map_location(weights));
  ASSERT_GT(relocate_to_cuda(weights), 0);
  ASSERT_FALSE(loads_without_map_location(weights)) << "the rewritten file should need CUDA";

  model::Seq2SeqTransformer back = model::load_model(dir.path());
  const auto a = saved->named_parameters();
  const auto b = back->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) {
    const torch::Tensor& t = b[item.key()];
    EXPECT_TRUE(t.device().is_cpu()) << item.key();
    EXPECT_TRUE(torch::equal(t, item.value())) << item.key();
  }
}

TEST(CheckpointMapLocation, AGpuOptimizerStateLoadsOntoTheParametersDevice) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible: train_cuda_test covers the real case";
  ScratchDir dir("map-optim");
  torch::manual_seed(6);
  torch::nn::Linear net(4, 3);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-2));
  net(torch::randn({5, 4})).pow(2).sum().backward();
  adam.step();
  save_optimizer(adam, dir.path());
  const std::string path = dir.file("optimizer.pt");
  ASSERT_GT(relocate_to_cuda(path), 0);
  ASSERT_FALSE(loads_without_map_location(path));

  torch::nn::Linear other(4, 3);
  torch::optim::Adam resumed(other->parameters(), torch::optim::AdamOptions(1e-2));
  load_optimizer(resumed, dir.path());
  // The state map's key type differs between LibTorch versions: compare the
  // states as sorted lists of their first moments' sums.
  auto moments = [](const torch::optim::Adam& opt, bool expect_cpu) {
    std::vector<double> sums;
    for (const auto& kv : opt.state()) {
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*kv.second);
      if (expect_cpu) {
        EXPECT_TRUE(s.exp_avg().device().is_cpu());
      }
      EXPECT_EQ(s.step(), 1);
      sums.push_back(s.exp_avg().sum().item<double>() + 1e3 * s.exp_avg_sq().sum().item<double>());
    }
    std::sort(sums.begin(), sums.end());
    return sums;
  };
  const auto got = moments(resumed, true);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(got, moments(adam, false));
  other(torch::randn({5, 4})).pow(2).sum().backward();
  EXPECT_NO_THROW(resumed.step());
}

TEST(CheckpointRng, RoundTripsAndOlderCheckpointsStillLoad) {
  ScratchDir dir("rng");
  const torch::Device cpu(torch::kCPU);
  torch::manual_seed(42);
  torch::rand({3});
  save_rng_state(dir.path(), 0, cpu);
  EXPECT_TRUE(fs::exists(dir.file("rng-rank-0.pt")));
  EXPECT_FALSE(fs::exists(dir.file("cuda-rng-rank-0.pt"))) << "a CPU run saves no CUDA state";
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(7);
  ASSERT_TRUE(load_rng_state(dir.path(), 0, cpu));
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
  EXPECT_FALSE(load_rng_state(dir.path(), 1, cpu)) << "no file for rank 1";

  // A GPU run's checkpoint resumed on the CPU: its CUDA state is not used.
  std::ofstream(dir.file("cuda-rng-rank-0.pt")) << "not read on the CPU";
  ASSERT_TRUE(load_rng_state(dir.path(), 0, cpu));
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));

  // A damaged state file is one clear error naming it.
  std::ofstream(dir.file("rng-rank-0.pt")) << "garbage";
  try {
    load_rng_state(dir.path(), 0, cpu);
    FAIL() << "garbage loaded";
  } catch (const ::acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rng-rank-0.pt: cannot load the generator state"), std::string::npos)
        << e.what();
  }
}

// train.init_from refuses a checkpoint whose model differs and names every
// key of ModelConfig::visit() that does (chord conditioning included).
TEST(InitFromCheckpoint, ModelDifferencesNameEveryKey) {
  model::ModelConfig checkpoint, run;
  EXPECT_EQ(model_config_differences(checkpoint, run), "");
  run.d_model = 128;
  run.dropout = 0.25;
  run.max_len = 700;
  run.chord_conditioning.target = true;
  EXPECT_EQ(model_config_differences(checkpoint, run),
            "d_model 256 (checkpoint) vs 128 (this run), dropout 0.1 vs 0.25, max_len (data.max_len) 1500 vs 700, "
            "chord_conditioning.target false vs true");
}

}  // namespace
}  // namespace acc::train
