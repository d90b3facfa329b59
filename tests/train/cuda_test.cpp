// The GPU path, for a machine with a CUDA build and at least one GPU
// (scripts/gpu_check.py runs these; label `cuda`). Every test skips itself
// elsewhere, so the CPU build compiles them and reports them as skipped.
//   - backend none on one GPU, and NCCL with one rank (mpirun -n 1)
//   - bf16 autocast (and fp32) forward/backward on the GPU
//   - exact resume on the GPU (the CUDA generator state in checkpoints)
//   - checkpoints across devices: GPU -> CPU (map location) and CPU -> GPU
//   - the NCCL communicator in process: GPU-timed work, bucket views survive zero_grad
#include <torch/cuda.h>

#include <cstdlib>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/device.h"
#include "accompanist/dist/gradient_bucketer.h"
#include "accompanist/model/batch.h"
#include "accompanist/model/transformer.h"
#include "accompanist/train/checkpoint_store.h"
#include "train/checkpoint_io.h"
#include "train/run_environment.h"
#include "trainer_test_support.h"

namespace acc::testing {
namespace {

bool have_gpu() {
  return dist::cuda_built() && dist::cuda_device_count() > 0 && torch::cuda::is_available();
}

#define REQUIRE_GPU() \
  if (!have_gpu()) GTEST_SKIP() << "needs a CUDA build and a GPU"

// Loss differences between two runs' train losses (same steps).
double max_loss_difference(const std::string& a, const std::string& b) {
  auto la = losses(a, "train"), lb = losses(b, "train");
  EXPECT_EQ(la.size(), lb.size());
  double d = 0;
  for (size_t i = 0; i < std::min(la.size(), lb.size()); ++i) {
    EXPECT_EQ(la[i].first, lb[i].first);
    d = std::max(d, std::abs(la[i].second - lb[i].second));
  }
  return d;
}

std::string common_sets(const std::string& corpus) {
  return "--set data.corpus=" + corpus +
         " --set train.log_every=1 --set model.dropout=0.1 --set train.checkpoint_every=20 --set train.valid_every=0";
}

TEST(CudaTrainer, BackendNoneTrainsOnTheGpu) {
  REQUIRE_GPU();
  const std::string dir = scratch_dir("cuda_none");
  const std::string corpus = write_copy_corpus(dir);
  auto r = run_command(train_command(dir + "/run", common_sets(corpus) + " --set dist.backend=none"), 300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("backend none"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("device cuda:0"), std::string::npos) << r.output;
  auto train = losses(dir + "/run", "train");
  ASSERT_EQ(train.size(), 40u);
  EXPECT_LT(train.back().second, train.front().second);
  EXPECT_TRUE(fs::exists(dir + "/run/checkpoints/step-00000040/cuda-rng-rank-0.pt"));
}

TEST(CudaTrainer, NcclWithOneRank) {
  REQUIRE_GPU();
  if (!dist::detect_backend_environment().nccl_built) GTEST_SKIP() << "this build has no NCCL";
  const std::string dir = scratch_dir("cuda_nccl1");
  const std::string corpus = write_copy_corpus(dir);
  auto r = run_command(std::string(ACC_MPIEXEC) + " -n 1 --allow-run-as-root --bind-to none " +
                           train_command(dir + "/run", common_sets(corpus) + " --set dist.backend=nccl"),
                       300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("backend nccl"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("device cuda:0"), std::string::npos) << r.output;
  EXPECT_EQ(losses(dir + "/run", "train").size(), 40u);
}

TEST(CudaModel, Bf16AutocastAndFp32) {
  REQUIRE_GPU();
  const torch::Device gpu(torch::kCUDA, 0);
  model::ModelConfig c;
  c.d_model = 32;
  c.enc_layers = c.dec_layers = 1;
  c.heads = 2;
  c.ff = 64;
  c.max_len = 32;
  c.max_relative_distance = 16;
  c.vocab_size = 50;
  torch::manual_seed(3);
  model::Seq2SeqTransformer m(c);
  m->to(gpu);
  auto src = torch::randint(3, 50, {2, 20}, torch::kLong).to(gpu);
  auto dec = torch::randint(3, 50, {2, 20}, torch::kLong).to(gpu);
  auto labels = torch::randint(3, 50, {2, 20}, torch::kLong).to(gpu);
  torch::Tensor fp32, bf16;
  {
    train::AutocastScope scope(gpu, "fp32");
    fp32 = m->forward(src, dec);
  }
  {
    train::AutocastScope scope(gpu, "bf16");
    bf16 = m->forward(src, dec);
  }
  EXPECT_EQ(fp32.scalar_type(), torch::kFloat);
  EXPECT_EQ(bf16.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(fp32.is_cuda());
  // bf16 keeps about 3 significant digits.
  EXPECT_LT((bf16.to(torch::kFloat) - fp32).abs().max().item<double>(), 0.1);
  model::sequence_loss_sum(bf16.to(torch::kFloat), labels).backward();
  for (const auto& p : m->parameters()) {
    if (!p.grad().defined()) continue;
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);  // master weights and gradients stay fp32
    EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
  }
}

// Resume on the GPU: 40 steps straight against 20 + 20 resumed (dropout on, so
// the CUDA generator state matters). Bit for bit when the GPU is deterministic
// for this model; otherwise no further apart than two uninterrupted runs.
TEST(CudaTrainer, ResumeIsExact) {
  REQUIRE_GPU();
  const std::string dir = scratch_dir("cuda_resume");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = common_sets(corpus) + " --set dist.backend=none";
  for (const char* name : {"/a", "/b"}) {
    auto r = run_command(train_command(dir + name, sets), 300);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto first = run_command(train_command(dir + "/c", sets + " --set train.max_steps=20"), 300);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::exists(dir + "/c/checkpoints/step-00000020/cuda-rng-rank-0.pt"));
  auto resumed = run_command(train_command(dir + "/c", sets + " --resume auto"), 300);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos);
  const double noise = max_loss_difference(dir + "/a", dir + "/b");
  const double resume = max_loss_difference(dir + "/a", dir + "/c");
  RecordProperty("run_to_run_loss_difference", std::to_string(noise));
  RecordProperty("resume_loss_difference", std::to_string(resume));
  EXPECT_LE(resume, 2 * noise) << "resumed run differs more than two uninterrupted runs (" << noise << ")";
  if (noise == 0) {
    EXPECT_EQ(max_parameter_difference(dir + "/a/checkpoints/step-00000040", dir + "/c/checkpoints/step-00000040"),
              0.0);
  }
}

// A GPU checkpoint read on the CPU (model and optimizer), and a CPU run's
// checkpoint resumed on the GPU.
TEST(CudaCheckpoint, GpuToCpuAndCpuToGpu) {
  REQUIRE_GPU();
  const std::string dir = scratch_dir("cuda_ckpt");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = common_sets(corpus) + " --set dist.backend=none";
  auto gpu_run = run_command(train_command(dir + "/gpu", sets + " --set train.max_steps=20"), 300);
  ASSERT_EQ(gpu_run.exit_code, 0) << gpu_run.output;
  const std::string ckpt = dir + "/gpu/checkpoints/step-00000020";

  model::Seq2SeqTransformer m = model::load_model(ckpt);
  for (const auto& p : m->parameters()) ASSERT_TRUE(p.device().is_cpu());
  for (const torch::Device device : {torch::Device(torch::kCPU), torch::Device(torch::kCUDA, 0)}) {
    m->to(device);
    torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(1e-3));  // train.optimizer: adam
    train::load_optimizer(opt, ckpt);
    size_t states = 0;
    for (const auto& kv : opt.state()) {
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*kv.second);
      EXPECT_EQ(s.exp_avg().device(), device);
      ++states;
    }
    EXPECT_GT(states, 0u) << device;
  }

  // CPU -> GPU: the first 20 steps without a visible GPU, the rest on it.
  auto cpu_run =
      run_command("CUDA_VISIBLE_DEVICES= " + train_command(dir + "/cpu", sets + " --set train.max_steps=20"), 300);
  ASSERT_EQ(cpu_run.exit_code, 0) << cpu_run.output;
  EXPECT_NE(cpu_run.output.find("device cpu"), std::string::npos) << cpu_run.output;
  EXPECT_FALSE(fs::exists(dir + "/cpu/checkpoints/step-00000020/cuda-rng-rank-0.pt"));
  auto on_gpu = run_command(train_command(dir + "/cpu", sets + " --resume auto"), 300);
  ASSERT_EQ(on_gpu.exit_code, 0) << on_gpu.output;
  EXPECT_NE(on_gpu.output.find("device cuda:0"), std::string::npos) << on_gpu.output;
  EXPECT_EQ(losses(dir + "/cpu", "train").size(), 40u);
}

// The NCCL backend in this process (one rank): GPU-timed all-reduces, and the
// bucketer's gradients stay bucket views across zero_grad().
TEST(CudaDist, NcclCommunicatorInProcess) {
  REQUIRE_GPU();
  if (!dist::detect_backend_environment().nccl_built) GTEST_SKIP() << "this build has no NCCL";
  dist::DistConfig cfg;
  cfg.backend = "nccl";
  cfg.timeout_s = 60;
  auto comm = dist::make_nccl_communicator(cfg);
  EXPECT_EQ(comm->memory_space(), dist::MemorySpace::cuda);
  const torch::Device gpu(torch::kCUDA, 0);
  torch::Tensor x = torch::arange(1 << 22, torch::TensorOptions().dtype(torch::kFloat).device(gpu));
  const torch::Tensor expected = x.clone();
  auto work = comm->allreduce_async(x.data_ptr<float>(), size_t(x.numel()), dist::ReduceOp::mean);
  work->wait();
  torch::cuda::synchronize();
  EXPECT_TRUE(work->done());
  EXPECT_GT(work->seconds(), 0.0) << "NCCL time read as zero";
  EXPECT_TRUE(torch::equal(x, expected));

  torch::manual_seed(1);
  torch::nn::Sequential net(torch::nn::Linear(8, 16), torch::nn::ReLU(), torch::nn::Linear(16, 4));
  net->to(gpu);
  dist::GradientBucketer bucketer(*net, *comm);
  std::vector<void*> storage;
  for (int step = 0; step < 3; ++step) {
    net->forward(torch::randn({5, 8}, gpu)).pow(2).sum().backward();
    bucketer.finish();
    for (size_t i = 0; i < net->parameters().size(); ++i) {
      if (step == 0) storage.push_back(net->parameters()[i].grad().data_ptr());
      EXPECT_EQ(net->parameters()[i].grad().data_ptr(), storage[i]);
    }
    bucketer.zero_grad();
  }
  torch::cuda::synchronize();
  bucketer.finish();  // a step with no backward: collects the timings of the last one
  EXPECT_GT(bucketer.stats().comm_seconds, 0.0);
}

}  // namespace
}  // namespace acc::testing
