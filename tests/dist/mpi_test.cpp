// Multi-process tests: run under `mpirun -n 2` (ctest label mpi) with
// --mpi-async=thread or --mpi-async=nonblocking. Every rank runs every test;
// expectations are computed locally from formulas or from both ranks' work
// redone on each rank.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "accompanist/dist/communicator_factory.h"
#include "accompanist/dist/gradient_bucketer.h"
#include "accompanist/dist/mpi_environment.h"
#include "test_model.h"

namespace acc::dist {
namespace {

std::unique_ptr<Communicator> g_comm;
std::string g_async_mode = "thread";

Communicator& comm() {
  return *g_comm;
}

TEST(Mpi, RanksAndLocalRanks) {
  EXPECT_EQ(comm().backend_name(), "mpi");
  ASSERT_EQ(comm().size(), 2);
  EXPECT_GE(comm().rank(), 0);
  EXPECT_LT(comm().rank(), 2);
  EXPECT_EQ(comm().local_size(), 2);  // one node
  const auto locals = comm().allgather_host(int64_t{comm().local_rank()});
  EXPECT_NE(locals[0], locals[1]);
}

// Rank r holds r * 1000 + i (exact in float for these sizes).
std::vector<float> rank_data(size_t n, int rank) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(rank * 1000 + static_cast<int>(i % 997));
  return v;
}

TEST(Mpi, AllreduceSumAndMean) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{1} << 20}) {
    auto sum = rank_data(n, comm().rank());
    comm().allreduce(sum.data(), n, ReduceOp::sum);
    auto mean = rank_data(n, comm().rank());
    comm().allreduce(mean.data(), n, ReduceOp::mean);
    for (size_t i = 0; i < n; ++i) {
      const float a = static_cast<float>(i % 997), b = static_cast<float>(1000 + i % 997);
      ASSERT_EQ(sum[i], a + b) << n << " " << i;
      ASSERT_EQ(mean[i], (a + b) / 2) << n << " " << i;
    }
  }
}

TEST(Mpi, NonBlockingAllreduceCompletesInAnyWaitOrder) {
  std::vector<std::vector<float>> bufs;
  for (size_t n : {size_t{10}, size_t{100000}, size_t{3}}) bufs.push_back(rank_data(n, comm().rank()));
  std::vector<WorkHandle> works;
  for (auto& b : bufs) works.push_back(comm().allreduce_async(b.data(), b.size(), ReduceOp::mean));
  comm().poll();
  for (size_t k = works.size(); k-- > 0;) works[k]->wait();
  for (auto& w : works) {
    EXPECT_TRUE(w->done());
    w->wait();  // idempotent
  }
  for (auto& b : bufs) {
    for (size_t i = 0; i < b.size(); ++i) ASSERT_EQ(b[i], static_cast<float>(i % 997) + 500.0f) << i;
  }
}

TEST(Mpi, BroadcastFromEitherRoot) {
  for (int root : {0, 1}) {
    std::vector<int32_t> data(5000, comm().rank() == root ? 42 : -1);
    comm().broadcast(data.data(), data.size() * sizeof(int32_t), root);
    EXPECT_EQ(std::count(data.begin(), data.end(), 42), 5000);
    std::string s = comm().rank() == root ? std::string("from root ") + std::to_string(root) : "x";
    comm().broadcast_host(s, root);
    EXPECT_EQ(s, "from root " + std::to_string(root));
  }
}

TEST(Mpi, SmallHostValues) {
  const int r = comm().rank();
  EXPECT_EQ(comm().allreduce_host(int64_t{r + 1}, ReduceOp::sum), 3);
  EXPECT_EQ(comm().allreduce_host(int64_t{r * 10}, ReduceOp::max), 10);
  EXPECT_EQ(comm().allreduce_host(int64_t{r * 10 - 5}, ReduceOp::min), -5);
  EXPECT_DOUBLE_EQ(comm().allreduce_host(r == 0 ? 1.5 : 2.5, ReduceOp::mean), 2.0);
  EXPECT_DOUBLE_EQ(comm().allreduce_host(r == 0 ? 1.5 : -2.5, ReduceOp::min), -2.5);
  EXPECT_EQ(comm().allgather_host(int64_t{100 + r}), (std::vector<int64_t>{100, 101}));
  EXPECT_EQ(comm().allgather_host(std::string(r == 0 ? "" : "rank one")), (std::vector<std::string>{"", "rank one"}));
  comm().barrier();
}

TEST(Mpi, MismatchThrowsTheSameErrorOnEveryRank) {
  EXPECT_NO_THROW(check_same_on_all_ranks(comm(), "config hash", "same"));
  try {
    check_same_on_all_ranks(comm(), "config hash", comm().rank() == 0 ? "aaa" : "bbb");
    FAIL() << "no error";
  } catch (const CollectiveError& e) {
    EXPECT_STREQ(e.what(), "config hash differs across ranks: rank 0 has aaa, rank 1 has bbb");
  }
  auto net = testing::make_net(0, /*extra_layer=*/comm().rank() == 1);
  EXPECT_THROW(check_replicas(comm(), *net, "h"), CollectiveError);
  EXPECT_THROW(check_replicas(comm(), *testing::make_net(0), comm().rank() == 0 ? "h0" : "h1"), CollectiveError);
  EXPECT_NO_THROW(check_replicas(comm(), *testing::make_net(0), "h"));
}

TEST(Mpi, BroadcastParametersCopiesRankZero) {
  auto net = testing::make_net(/*seed=*/7 + comm().rank());
  const std::string mine = parameters_sha256(*net);
  const auto before = comm().allgather_host(mine);
  EXPECT_NE(before[0], before[1]);
  broadcast_parameters(*net, comm());
  EXPECT_EQ(parameters_sha256(*net), before[0]);
}

BucketerOptions small_buckets(bool record = false) {
  return {0.0002, 0.002, record};
}

// The average of both ranks' gradients, computed here without communication.
std::vector<torch::Tensor> expected_average(int micros) {
  auto g0 = testing::local_gradients(0, micros);
  auto g1 = testing::local_gradients(1, micros);
  std::vector<torch::Tensor> avg;
  for (size_t i = 0; i < g0.size(); ++i) avg.push_back((g0[i] + g1[i]) / 2);
  return avg;
}

TEST(Mpi, BucketerAveragesGradientsAndKeepsReplicasEqual) {
  auto net = testing::make_net(/*seed=*/comm().rank());  // differs until broadcast
  broadcast_parameters(*net, comm());
  ASSERT_EQ(parameters_sha256(*net), parameters_sha256(*testing::make_net(0)));
  GradientBucketer bucketer(*net, comm(), small_buckets(/*record=*/true));
  check_same_on_all_ranks(comm(), "bucket layout", bucketer.layout());
  EXPECT_EQ(bucketer.bucket_count(), 4u);

  testing::loss_of(*net, comm().rank()).backward();
  bucketer.finish();
  const auto expected = expected_average(1);
  const auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].grad().defined()) << i;
    EXPECT_TRUE(torch::allclose(params[i].grad(), expected[i], 1e-6, 1e-7)) << i << "\n"
                                                                            << params[i].grad() << expected[i];
  }
  // The branch is used on rank 0 only: its averaged gradient is half of rank 0's.
  EXPECT_TRUE(torch::allclose(net->branch->weight.grad(), testing::local_gradients(0)[2] / 2));

  // Overlap: all-reduces started from gradient hooks, before backward ended.
  EXPECT_EQ(bucketer.stats().launched_in_backward, 3);
  int first_launch = -1, last_hook = -1;
  for (size_t k = 0; k < bucketer.events().size(); ++k) {
    const auto& e = bucketer.events()[k];
    if (e.kind == BucketEvent::launch && first_launch < 0) first_launch = static_cast<int>(k);
    if (e.kind == BucketEvent::hook) last_hook = static_cast<int>(k);
  }
  EXPECT_LT(first_launch, last_hook);

  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-2));
  adam.step();
  const auto sums = comm().allgather_host(parameters_sha256(*net));
  EXPECT_EQ(sums[0], sums[1]);
  EXPECT_NE(sums[0], parameters_sha256(*testing::make_net(0)));  // the step changed them
}

TEST(Mpi, AccumulationCommunicatesOnlyOnTheLastMicroStep) {
  auto net = testing::make_net(0);
  GradientBucketer bucketer(*net, comm(), small_buckets());
  bucketer.set_sync(false);
  testing::loss_of(*net, comm().rank(), 0).backward();
  bucketer.finish();
  EXPECT_EQ(bucketer.stats().buckets_launched, 0);
  // Still the local gradient: nothing was exchanged.
  const auto local = testing::local_gradients(comm().rank(), 1);
  EXPECT_TRUE(torch::equal(net->l1->weight.grad(), local[4]));
  bucketer.set_sync(true);
  testing::loss_of(*net, comm().rank(), 1).backward();
  bucketer.finish();
  EXPECT_EQ(bucketer.stats().buckets_launched, 4);
  const auto expected = expected_average(2);
  const auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::allclose(params[i].grad(), expected[i], 1e-6, 1e-7)) << i;
  }
}

TEST(Mpi, ManyStepsStayInStep) {
  auto net = testing::make_net(0);
  GradientBucketer bucketer(*net, comm(), small_buckets());
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  for (int step = 0; step < 20; ++step) {
    sgd.zero_grad();
    testing::loss_of(*net, comm().rank(), step).backward();
    bucketer.finish();
    sgd.step();
  }
  const auto sums = comm().allgather_host(parameters_sha256(*net));
  EXPECT_EQ(sums[0], sums[1]);
  EXPECT_EQ(bucketer.stats().steps, 20);
  EXPECT_GE(bucketer.stats().comm_seconds, 0.0);
}

}  // namespace
}  // namespace acc::dist

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--mpi-async=", 12) == 0) acc::dist::g_async_mode = argv[i] + 12;
  }
  return acc::dist::guarded_main([] {
    auto env = acc::dist::MpiEnvironment::acquire();
    acc::dist::DistConfig cfg;
    cfg.mpi_async = acc::dist::g_async_mode;
    cfg.timeout_s = 60;  // a test that leaves a peer waiting fails instead of hanging
    acc::dist::g_comm = acc::dist::make_mpi_communicator(cfg);
    torch::set_num_threads(1);
    const int rc = RUN_ALL_TESTS();
    acc::dist::g_comm.reset();
    return rc;
  });
}
