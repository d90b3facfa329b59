// Single-process tests of the communicator layer (backend none, the factory's
// choice of backend, the dist config section). Multi-process behaviour is in
// mpi_test.cpp, run under mpirun.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "accompanist/dist/communicator.h"
#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/device.h"
#include "accompanist/dist/dist_config.h"
#include "accompanist/dist/mpi_environment.h"
#include "accompanist/util/config.h"

namespace acc::dist {
namespace {

TEST(SingleProcessCommunicator, CollectivesAreTheIdentity) {
  auto comm = make_single_process_communicator();
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->size(), 1);
  EXPECT_EQ(comm->local_rank(), 0);
  EXPECT_EQ(comm->local_size(), 1);
  EXPECT_EQ(comm->backend_name(), "none");
  std::vector<float> data{1.5f, -2.0f, 3.25f};
  comm->allreduce(data.data(), data.size(), ReduceOp::sum);
  comm->allreduce(data.data(), data.size(), ReduceOp::mean);
  EXPECT_EQ(data, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  auto work = comm->allreduce_async(data.data(), data.size(), ReduceOp::mean);
  EXPECT_TRUE(work->done());
  work->wait();
  EXPECT_EQ(data, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  EXPECT_EQ(comm->allreduce_host(int64_t{7}, ReduceOp::max), 7);
  EXPECT_DOUBLE_EQ(comm->allreduce_host(2.5, ReduceOp::mean), 2.5);
  EXPECT_THROW(comm->allreduce_host(int64_t{7}, ReduceOp::mean), acc::Error);
  EXPECT_EQ(comm->allgather_host(int64_t{3}), std::vector<int64_t>{3});
  EXPECT_EQ(comm->allgather_host(std::string("abc")), std::vector<std::string>{"abc"});
  std::string s = "payload";
  comm->broadcast_host(s, 0);
  EXPECT_EQ(s, "payload");
  EXPECT_THROW(comm->broadcast_host(s, 1), acc::Error);
  comm->barrier();
  EXPECT_NO_THROW(check_same_on_all_ranks(*comm, "config hash", "abc"));
}

TEST(SingleProcessCommunicator, NeverInitialisesMpi) {
  DistConfig cfg;
  cfg.backend = "none";
  auto comm = make_communicator(cfg);
  comm->barrier();
  EXPECT_FALSE(MpiEnvironment::active());
}

TEST(SingleProcessCommunicator, AcceptsHostAndCudaBuffers) {
  // One process reduces nothing, so a model on one GPU can use it (the bucketer asks).
  auto comm = make_single_process_communicator();
  EXPECT_TRUE(comm->accepts(MemorySpace::host));
  EXPECT_TRUE(comm->accepts(MemorySpace::cuda));
}

// The device follows the backend: the review found CUDA picked whenever a GPU
// was visible, which broke backend none (host-only communicator) and mpi
// (device pointers handed to MPI_Bcast).
TEST(ChooseDevice, FollowsTheBackendAndTheVisibleDevices) {
  const DeviceChoice cpu{};
  EXPECT_EQ(choose_device("none", 0, 0), cpu);
  EXPECT_EQ(choose_device("none", 1, 0), (DeviceChoice{true, 0}));
  EXPECT_EQ(choose_device("none", 4, 3), (DeviceChoice{true, 0}));  // one process: the first visible GPU
  EXPECT_EQ(choose_device("mpi", 0, 1), cpu);
  EXPECT_EQ(choose_device("mpi", 8, 1), cpu);  // MPI reduces host buffers
  EXPECT_EQ(choose_device("nccl", 1, 0), (DeviceChoice{true, 0}));
  EXPECT_EQ(choose_device("nccl", 4, 3), (DeviceChoice{true, 3}));
  EXPECT_EQ(choose_device("nccl", 4, 5), (DeviceChoice{true, 1}));  // local rank mod visible devices
  EXPECT_EQ(choose_device("nccl", 1, 1), (DeviceChoice{true, 0}));  // one GPU per rank (CUDA_VISIBLE_DEVICES)
  EXPECT_EQ(choose_device("nccl", 2, 1).str(), "cuda:1");
  EXPECT_EQ(cpu.str(), "cpu");
  try {
    choose_device("nccl", 0, 0);
    FAIL() << "nccl without a device";
  } catch (const acc::Error& e) {
    EXPECT_STREQ(e.what(), "dist.backend: nccl: no CUDA device is visible");
  }
  EXPECT_THROW(choose_device("auto", 1, 0), acc::Error);  // resolve the backend first
  EXPECT_THROW(choose_device("nccl", 1, -1), acc::Error);
}

TEST(FindSharedDevice, NamesTheFirstTwoRanksOnOneGpu) {
  EXPECT_FALSE(find_shared_device({}).has_value());
  EXPECT_FALSE(find_shared_device({"a/0000:01:00.0", "a/0000:02:00.0", "b/0000:01:00.0"}).has_value());
  auto shared = find_shared_device({"a/0000:01:00.0", "a/0000:02:00.0", "b/0000:01:00.0", "a/0000:02:00.0"});
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(*shared, std::make_pair(1, 3));
  if (!cuda_built()) {
    EXPECT_THROW(cuda_device_identity(0), acc::Error);
  }
}

TEST(ResolveBackend, AutoPicksByLauncherAndDevice) {
  BackendEnvironment plain;
  EXPECT_EQ(resolve_backend("auto", plain), "none");
  BackendEnvironment mpi;
  mpi.launched_by_mpi = true;
  EXPECT_EQ(resolve_backend("auto", mpi), "mpi");
  BackendEnvironment gpu = mpi;
  gpu.cuda_available = true;
  EXPECT_EQ(resolve_backend("auto", gpu), "mpi");  // no NCCL compiled in
  gpu.nccl_built = true;
  EXPECT_EQ(resolve_backend("auto", gpu), "nccl");
  BackendEnvironment gpu_alone = gpu;
  gpu_alone.launched_by_mpi = false;
  EXPECT_EQ(resolve_backend("auto", gpu_alone), "none");
  EXPECT_EQ(resolve_backend("mpi", plain), "mpi");
  EXPECT_EQ(resolve_backend("none", mpi), "none");
}

TEST(ResolveBackend, ExplicitNcclWithoutNcclIsAnError) {
  BackendEnvironment env;
  env.launched_by_mpi = true;
  try {
    resolve_backend("nccl", env);
    FAIL() << "no error";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dist.backend: nccl"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_backend("gloo", env), acc::Error);
}

class LauncherEnv : public ::testing::Test {
 protected:
  static constexpr const char* kVars[] = {
      "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS"};
  void SetUp() override {
    for (const char* v : kVars) {
      if (const char* old = std::getenv(v)) saved_.emplace_back(v, old);
      unsetenv(v);
    }
  }
  void TearDown() override {
    for (const char* v : kVars) unsetenv(v);
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(LauncherEnv, DetectsLaunchers) {
  EXPECT_FALSE(launched_by_mpi_launcher());
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  EXPECT_TRUE(launched_by_mpi_launcher());
  unsetenv("OMPI_COMM_WORLD_SIZE");
  setenv("PMIX_RANK", "0", 1);
  EXPECT_TRUE(launched_by_mpi_launcher());
  unsetenv("PMIX_RANK");
  setenv("SLURM_STEP_NUM_TASKS", "1", 1);
  EXPECT_FALSE(launched_by_mpi_launcher());  // one task: a plain process
  setenv("SLURM_STEP_NUM_TASKS", "4", 1);
  EXPECT_TRUE(launched_by_mpi_launcher());
}

struct Root {
  DistConfig dist;
  void visit(acc::util::ConfigVisitor& v) {
    v.section("dist", [&] { dist.visit(v); });
  }
};

TEST(DistConfig, ReadsOverridesAndRejectsBadValues) {
  Root cfg;
  acc::util::load_config_text(cfg, "dist:\n  backend: mpi\n  bucket_cap_mb: 10\n", "test.yaml",
                              {"dist.first_bucket_mb=0.5", "dist.mpi_async=nonblocking"});
  EXPECT_EQ(cfg.dist.backend, "mpi");
  EXPECT_DOUBLE_EQ(cfg.dist.bucket_cap_mb, 10.0);
  EXPECT_DOUBLE_EQ(cfg.dist.first_bucket_mb, 0.5);
  EXPECT_EQ(cfg.dist.mpi_async, "nonblocking");
  Root bad;
  try {
    acc::util::load_config_text(bad, "dist:\n  backend: gloo\n", "test.yaml");
    FAIL() << "no error";
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dist.backend"), std::string::npos) << e.what();
  }
  EXPECT_THROW(acc::util::load_config_text(bad, "dist:\n  bucket_cap_mb: -1\n", "t"), acc::Error);
  EXPECT_THROW(acc::util::load_config_text(bad, "dist:\n  bucket_size: 3\n", "t"), acc::Error);
}

}  // namespace
}  // namespace acc::dist
