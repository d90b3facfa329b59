// Parameter broadcast and replica checks for data-parallel start-up.
#include <torch/torch.h>

#include <map>
#include <sstream>

#include "accompanist/dist/gradient_bucketer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/sha256.h"

namespace acc::dist {

void broadcast_parameters(torch::nn::Module& module, Communicator& comm, int root) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (const auto& t : module.parameters(/*recurse=*/true)) tensors.push_back(t);
  for (const auto& t : module.buffers(/*recurse=*/true)) tensors.push_back(t);
  // One flat buffer per dtype (in first-seen order, the same on every rank).
  std::vector<std::pair<torch::ScalarType, std::vector<torch::Tensor>>> groups;
  for (const auto& t : tensors) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == t.scalar_type(); });
    if (it == groups.end()) {
      groups.push_back({t.scalar_type(), {}});
      it = std::prev(groups.end());
    }
    it->second.push_back(t);
  }
  for (auto& [dtype, group] : groups) {
    std::vector<torch::Tensor> flat_parts;
    for (const auto& t : group) flat_parts.push_back(t.detach().reshape({-1}));
    torch::Tensor flat = torch::cat(flat_parts).contiguous();  // [total elements]
    // A device pointer handed to MPI_Bcast would crash inside MPI: say so instead.
    ACC_CHECK(comm.accepts(flat.is_cuda() ? MemorySpace::cuda : MemorySpace::host), "broadcast_parameters",
              std::string("parameters on ") + (flat.is_cuda() ? "a CUDA device" : "the CPU") + " but the " +
                  comm.backend_name() + " backend takes " + (flat.is_cuda() ? "host" : "CUDA") + " buffers");
    comm.broadcast(flat.data_ptr(), static_cast<size_t>(flat.nbytes()), root);
    int64_t offset = 0;
    for (auto& t : group) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

std::string describe_parameters(const torch::nn::Module& module) {
  std::ostringstream layout;
  int64_t count = 0, elements = 0;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& t = item.value();
    layout << item.key() << ' ' << t.sizes() << ' ' << t.dtype() << '\n';
    ++count;
    elements += t.numel();
  }
  return std::to_string(count) + " tensors, " + std::to_string(elements) + " elements, layout " +
         acc::util::sha256_hex(layout.str()).substr(0, 16);
}

std::string parameters_sha256(const torch::nn::Module& module) {
  std::string bytes;
  for (const auto& t : module.parameters(/*recurse=*/true)) {
    const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    bytes.append(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.nbytes()));
  }
  return acc::util::sha256_hex(bytes);
}

void check_replicas(Communicator& comm, const torch::nn::Module& module, const std::string& config_hash) {
  check_same_on_all_ranks(comm, "config hash", config_hash);
  check_same_on_all_ranks(comm, "model parameters", describe_parameters(module));
}

}  // namespace acc::dist
