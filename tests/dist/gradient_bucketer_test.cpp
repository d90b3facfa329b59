// GradientBucketer in one process (backend none): layout, hooks, unused
// parameters, accumulation and errors. The averaging across ranks is tested
// under mpirun in mpi_test.cpp.
#include <gtest/gtest.h>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/gradient_bucketer.h"
#include "test_model.h"

namespace acc::dist {
namespace {

using testing::TestNet;

// ~52 floats for the first bucket, ~524 for the others.
BucketerOptions small_buckets(bool record = false) {
  return {0.0002, 0.002, record};
}

std::vector<std::string> names(const TestNet& net) {
  std::vector<std::string> out;
  for (const auto& item : net.named_parameters()) out.push_back(item.key());
  return out;
}

TEST(GradientBucketer, BucketsFollowReverseRegistrationOrderWithASmallFirstBucket) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets());
  EXPECT_EQ(bucketer.layout(),
            "0:[l3.bias] 1:[l3.weight,l2.bias] 2:[l2.weight] "
            "3:[l1.bias,l1.weight,branch.bias,branch.weight,unused.bias,unused.weight]");
  // Every parameter exactly once, in reverse registration order.
  std::vector<size_t> order;
  for (size_t b = 0; b < bucketer.bucket_count(); ++b) {
    for (size_t i : bucketer.bucket_parameters(b)) order.push_back(i);
  }
  const size_t n = names(*net).size();
  ASSERT_EQ(order.size(), n);
  for (size_t k = 0; k < n; ++k) EXPECT_EQ(order[k], n - 1 - k);
  EXPECT_EQ(bucketer.bucket_numel(2), 32 * 32);

  // Default sizes (1 MiB, 25 MiB): everything fits the first bucket.
  GradientBucketer defaults(*net, *comm);
  EXPECT_EQ(defaults.bucket_count(), 1u);
}

TEST(GradientBucketer, FinishLeavesTheLocalGradientsAndDefinesUnusedOnes) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets());
  testing::loss_of(*net, /*rank=*/1).backward();  // rank 1: the branch is not used
  EXPECT_FALSE(net->unused->weight.grad().defined());
  bucketer.finish();
  const auto expected = testing::local_gradients(1);
  const auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].grad().defined()) << i;
    EXPECT_TRUE(torch::equal(params[i].grad(), expected[i])) << i;
  }
  EXPECT_TRUE(torch::equal(net->unused->weight.grad(), torch::zeros({4, 4})));
  EXPECT_EQ(bucketer.stats().steps, 1);
  EXPECT_EQ(bucketer.stats().buckets_launched, 4);
  EXPECT_EQ(bucketer.stats().launched_in_backward, 3);  // bucket 3 waits for unused parameters
}

TEST(GradientBucketer, LaunchesBucketsDuringBackwardInOrder) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets(/*record=*/true));
  testing::loss_of(*net, 0).backward();
  bucketer.finish();
  const auto& ev = bucketer.events();
  int last_hook = -1, first_launch = -1, finish_at = -1;
  std::vector<int> launches;
  for (size_t k = 0; k < ev.size(); ++k) {
    if (ev[k].kind == BucketEvent::hook) last_hook = static_cast<int>(k);
    if (ev[k].kind == BucketEvent::launch) {
      if (first_launch < 0) first_launch = static_cast<int>(k);
      launches.push_back(ev[k].index);
    }
    if (ev[k].kind == BucketEvent::finish) finish_at = static_cast<int>(k);
  }
  EXPECT_EQ(launches, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_GE(first_launch, 0);
  EXPECT_LT(first_launch, last_hook) << "no all-reduce started before backward ended";
  EXPECT_LT(last_hook, finish_at);
}

TEST(GradientBucketer, AccumulationWithoutSyncDoesNotCommunicate) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets());
  bucketer.set_sync(false);
  testing::loss_of(*net, 0, 0).backward();
  bucketer.finish();  // no-op
  EXPECT_EQ(bucketer.stats().buckets_launched, 0);
  bucketer.set_sync(true);
  testing::loss_of(*net, 0, 1).backward();
  bucketer.finish();
  EXPECT_EQ(bucketer.stats().steps, 1);
  const auto expected = testing::local_gradients(0, 2);
  const auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::allclose(params[i].grad(), expected[i])) << i;
}

TEST(GradientBucketer, GradientsLiveInTheBucketsAcrossSteps) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  auto reference = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets());
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  torch::optim::SGD sgd_ref(reference->parameters(), torch::optim::SGDOptions(0.1));
  std::vector<void*> storage;
  for (int step = 0; step < 3; ++step) {
    sgd.zero_grad();
    sgd_ref.zero_grad();
    testing::loss_of(*net, 0, step).backward();
    testing::loss_of(*reference, 0, step).backward();
    bucketer.finish();
    const auto params = net->parameters();
    const auto ref = reference->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto expected = ref[i].grad().defined() ? ref[i].grad() : torch::zeros_like(ref[i]);
      ASSERT_TRUE(torch::equal(params[i].grad(), expected)) << "step " << step << " parameter " << i;
      if (step == 0) storage.push_back(params[i].grad().data_ptr());
      EXPECT_EQ(params[i].grad().data_ptr(), storage[i]) << "step " << step << " parameter " << i;
    }
    sgd.step();
    sgd_ref.step();
  }
  // Reset to undefined (set_to_none): the hooks copy them in again.
  for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
  testing::loss_of(*net, 1).backward();
  bucketer.finish();
  EXPECT_EQ(net->l1->weight.grad().data_ptr(), storage[4]);
  net->zero_grad(/*set_to_none=*/false);  // Module::zero_grad keeps the storage too
  EXPECT_EQ(net->l1->weight.grad().data_ptr(), storage[4]);
  EXPECT_TRUE(torch::equal(net->l1->weight.grad(), torch::zeros({32, 8})));
}

// LibTorch 2.x's Optimizer::zero_grad() sets gradients to undefined by
// default; the trainer calls bucketer.zero_grad(), which keeps them bucket
// views (one fill per bucket) on every LibTorch version.
TEST(GradientBucketer, ZeroGradKeepsTheBucketViews) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  auto reference = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets());
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  torch::optim::SGD sgd_ref(reference->parameters(), torch::optim::SGDOptions(0.1));
  bucketer.zero_grad();  // before any step: nothing defined, nothing to do
  EXPECT_FALSE(net->l1->weight.grad().defined());
  std::vector<void*> storage;
  for (int step = 0; step < 3; ++step) {
    testing::loss_of(*net, 0, step).backward();
    testing::loss_of(*reference, 0, step).backward();
    bucketer.finish();
    const auto params = net->parameters();
    const auto ref = reference->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto expected = ref[i].grad().defined() ? ref[i].grad() : torch::zeros_like(ref[i]);
      ASSERT_TRUE(torch::equal(params[i].grad(), expected)) << "step " << step << " parameter " << i;
      if (step == 0) storage.push_back(params[i].grad().data_ptr());
      EXPECT_EQ(params[i].grad().data_ptr(), storage[i]) << "step " << step << " parameter " << i;
    }
    sgd.step();
    sgd_ref.step();
    bucketer.zero_grad();
    sgd_ref.zero_grad();
    for (size_t i = 0; i < params.size(); ++i) {
      ASSERT_TRUE(params[i].grad().defined()) << i;
      EXPECT_EQ(params[i].grad().data_ptr(), storage[i]) << i;  // still the bucket
      EXPECT_EQ(params[i].grad().abs().sum().item<float>(), 0.0f) << i;
    }
  }
  // A gradient that is not a bucket view (accumulated locally, sync off) is zeroed in place too.
  GradientBucketer fresh(*reference, *comm, small_buckets());
  fresh.set_sync(false);
  testing::loss_of(*reference, 0).backward();
  void* local = reference->l1->weight.grad().data_ptr();
  fresh.zero_grad();
  EXPECT_EQ(reference->l1->weight.grad().data_ptr(), local);
  EXPECT_TRUE(torch::equal(reference->l1->weight.grad(), torch::zeros({32, 8})));
}

TEST(GradientBucketer, TwoBackwardsInOneSynchronisedStepAreAnError) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  GradientBucketer bucketer(*net, *comm, small_buckets());
  testing::loss_of(*net, 0).backward();
  try {
    testing::loss_of(*net, 0).backward();
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("a second gradient in one synchronised step"), std::string::npos) << e.what();
  }
}

TEST(GradientBucketer, RemovesItsHooksWhenDestroyed) {
  auto comm = make_single_process_communicator();
  auto net = testing::make_net();
  {
    GradientBucketer bucketer(*net, *comm, small_buckets());
    testing::loss_of(*net, 0).backward();
    bucketer.finish();
  }
  for (const auto& p : net->parameters()) {
    EXPECT_EQ(torch::autograd::impl::grad_accumulator(p)->post_hooks().size(), 0u);
  }
  testing::loss_of(*net, 0).backward();  // no dangling hook
  GradientBucketer again(*net, *comm, small_buckets());
  EXPECT_EQ(again.stats().steps, 0);
}

TEST(GradientBucketer, RejectsParametersThatCannotBeBucketed) {
  auto comm = make_single_process_communicator();
  auto p = torch::zeros({3}, torch::kDouble).requires_grad_(true);
  EXPECT_THROW(GradientBucketer({{"p", p}}, *comm), acc::Error);
  EXPECT_THROW(GradientBucketer({}, *comm), acc::Error);
}

// A backend that takes only CUDA buffers (as NCCL), without a GPU: CPU
// parameters are refused with a clear error instead of reaching the backend.
class CudaOnlyCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string backend_name() const override { return "nccl"; }
  MemorySpace memory_space() const override { return MemorySpace::cuda; }
  void broadcast(void*, size_t, int) override { ++touched; }
  void allreduce(float*, size_t, ReduceOp) override { ++touched; }
  WorkHandle allreduce_async(float*, size_t, ReduceOp) override {
    ++touched;
    return nullptr;
  }
  void barrier() override {}
  int64_t allreduce_host(int64_t v, ReduceOp) override { return v; }
  double allreduce_host(double v, ReduceOp) override { return v; }
  void broadcast_host(std::string&, int) override {}
  std::vector<int64_t> allgather_host(int64_t v) override { return {v}; }
  std::vector<std::string> allgather_host(const std::string& v) override { return {v}; }
  int touched = 0;
};

TEST(ReplicaCheck, ParametersOnTheWrongDeviceAreAClearError) {
  CudaOnlyCommunicator comm;
  auto net = testing::make_net(0);
  try {
    broadcast_parameters(*net, comm);
    FAIL() << "CPU parameters reached a CUDA-only backend";
  } catch (const acc::Error& e) {
    EXPECT_STREQ(e.what(), "broadcast_parameters: parameters on the CPU but the nccl backend takes CUDA buffers");
  }
  EXPECT_THROW(GradientBucketer(*net, comm), acc::Error);
  EXPECT_EQ(comm.touched, 0);
}

TEST(ReplicaCheck, DescribesParametersAndHashesThem) {
  auto a = testing::make_net(0);
  auto b = testing::make_net(0);
  auto c = testing::make_net(1);
  auto d = testing::make_net(0, /*extra_layer=*/true);
  EXPECT_EQ(describe_parameters(*a), describe_parameters(*c));
  EXPECT_NE(describe_parameters(*a), describe_parameters(*d));
  EXPECT_EQ(describe_parameters(*a).rfind("10 tensors, ", 0), 0u) << describe_parameters(*a);
  EXPECT_EQ(parameters_sha256(*a), parameters_sha256(*b));
  EXPECT_NE(parameters_sha256(*a), parameters_sha256(*c));
  auto comm = make_single_process_communicator();
  EXPECT_NO_THROW(check_replicas(*comm, *a, "hash"));
  broadcast_parameters(*c, *comm);  // one rank: unchanged
  EXPECT_NE(parameters_sha256(*a), parameters_sha256(*c));
}

}  // namespace
}  // namespace acc::dist
