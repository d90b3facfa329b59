// A small model for the bucketer tests. Registration order puts the parameters
// that may get no gradient (unused; branch, used on rank 0 only) first, so in
// reverse order they land in the last bucket and the early buckets complete
// during backward.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace acc::dist::testing {

struct TestNet : torch::nn::Module {
  explicit TestNet(bool extra_layer = false) {
    unused = register_module("unused", torch::nn::Linear(4, 4));
    branch = register_module("branch", torch::nn::Linear(4, 4));
    l1 = register_module("l1", torch::nn::Linear(8, 32));
    l2 = register_module("l2", torch::nn::Linear(32, 32));
    l3 = register_module("l3", torch::nn::Linear(32, 4));
    if (extra_layer) register_module("extra", torch::nn::Linear(2, 2));
  }
  torch::Tensor forward(const torch::Tensor& x, bool use_branch) {  // x: [B, 8] -> [B, 4]
    auto h = torch::relu(l1(x));
    h = torch::relu(l2(h));
    auto y = l3(h);
    return use_branch ? y + branch(y) : y;
  }
  torch::nn::Linear unused{nullptr}, branch{nullptr}, l1{nullptr}, l2{nullptr}, l3{nullptr};
};

inline std::shared_ptr<TestNet> make_net(uint64_t seed = 0, bool extra_layer = false) {
  torch::manual_seed(seed);
  return std::make_shared<TestNet>(extra_layer);
}

// Rank r's micro-batch k: deterministic inputs and targets.
inline std::pair<torch::Tensor, torch::Tensor> batch(int rank, int micro = 0) {
  torch::manual_seed(1000 + 17 * rank + micro);
  auto x = torch::randn({6, 8});  // [B, 8]
  auto t = torch::randn({6, 4});  // [B, 4]
  return {x, t};
}

inline torch::Tensor loss_of(TestNet& net, int rank, int micro = 0) {
  auto [x, t] = batch(rank, micro);
  return torch::mse_loss(net.forward(x, /*use_branch=*/rank == 0), t);
}

// The gradients rank r would compute on its own (zeros where a parameter got none),
// summed over micro-batches 0..micros-1.
inline std::vector<torch::Tensor> local_gradients(int rank, int micros = 1) {
  auto net = make_net();
  for (int m = 0; m < micros; ++m) loss_of(*net, rank, m).backward();
  std::vector<torch::Tensor> grads;
  for (auto& p : net->parameters()) grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return grads;
}

}  // namespace acc::dist::testing
